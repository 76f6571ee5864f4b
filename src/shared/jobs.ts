/**
 * Jobs as every face of GenOps sees them: the states of DESIGN.md, priorities, what an
 * operator may submit, and what the engine reports back. Pure TypeScript and zod.
 */
import { z } from 'zod'
import { ERROR_SEVERITIES } from './errors'
import { configProblem } from './job-config'

/**
 * States as stored. "delayed" is not stored: it is a queued job whose run_at is ahead.
 * "submitted": the job is a line of a provider's batch (the batch lane), held by that
 * batch's record in the store, not by a lease, for as long as the provider takes (a day at most).
 */
export const STORED_STATES = ['queued', 'submitted', 'active', 'completed', 'dead', 'cancelled'] as const
export type StoredState = (typeof STORED_STATES)[number]

/** States as shown: queued jobs waiting for their run_at read as "delayed". */
export const JOB_STATES = ['queued', 'delayed', 'submitted', 'active', 'completed', 'dead', 'cancelled'] as const
export const JobState = z.enum(JOB_STATES)
export type JobState = z.infer<typeof JobState>

export const PRIORITIES = ['high', 'normal', 'low'] as const
export const Priority = z.enum(PRIORITIES)
export type Priority = z.infer<typeof Priority>

/** Stored as a number so the claim index orders high before normal before low. */
export const PRIORITY_RANK: Record<Priority, number> = { high: 0, normal: 1, low: 2 }
export const PRIORITY_BY_RANK: readonly Priority[] = PRIORITIES

export const DEFAULT_ATTEMPTS = 3
export const MAX_ATTEMPTS = 100
/** Longest prompt accepted in one job; longer ones are an operator mistake, not a job. */
export const MAX_PROMPT_CHARS = 1_000_000
export const MAX_DELAY_MS = 365 * 24 * 3600 * 1000

/**
 * A NUL character (\u0000, valid in JSON, common in scraped text) cannot be kept as text by
 * PostgreSQL, whose text and jsonb refuse it: refused in every job at intake, naming its line,
 * so a job means the same on every store.
 */
const HOLDS_NUL = 'holds a NUL character (\\u0000), which a store cannot keep as text: remove it'
const noNul = (text: string) => !text.includes('\u0000')

/** The path to the first string holding a NUL in a JSON value; null when none does. */
function nulAt(value: unknown, path: (string | number)[] = []): (string | number)[] | null {
  if (typeof value === 'string') return noNul(value) ? null : path
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulAt(item, [...path, i])
      if (found) return found
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = !noNul(key) ? [...path, key] : nulAt(item, [...path, key])
      if (found) return found
    }
  }
  return null
}

/**
 * A job's config: the provider parameters (temperature, maxTokens, the simulator's
 * latencyMs...) as a small JSON object. Checked here for what holds for every provider
 * (shared/job-config); each provider's own keys are checked once the provider is known.
 * Never a key: the config is stored with the job.
 */
export const JobConfig = z.record(z.string(), z.unknown()).superRefine((config, context) => {
  const problem = configProblem(null, config)
  if (problem) context.addIssue({ code: 'custom', message: problem })
  const nul = nulAt(config)
  if (nul) context.addIssue({ code: 'custom', path: nul, message: HOLDS_NUL })
})

/** A config as stored: read back as it was written, whatever the schema says today. */
export const StoredConfig = z.record(z.string(), z.unknown())

/** One job as an operator submits it (a line of a .jsonl file, a body of the API). */
export const JobSpec = z
  .object({
    prompt: z.string().trim().min(1, 'prompt is empty').max(MAX_PROMPT_CHARS, `prompt is longer than ${MAX_PROMPT_CHARS} characters`).refine(noNul, HOLDS_NUL),
    provider: z.string().trim().min(1).max(100).refine(noNul, HOLDS_NUL).optional(),
    model: z.string().trim().min(1).max(500).refine(noNul, HOLDS_NUL).optional(),
    priority: Priority.optional(),
    delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
    attempts: z.number().int().min(1).max(MAX_ATTEMPTS).optional(),
    idempotencyKey: z.string().min(1).max(200).refine(noNul, HOLDS_NUL).optional(),
    tags: z.array(z.string().trim().min(1).max(100).refine(noNul, HOLDS_NUL)).max(50).optional(),
    config: JobConfig.optional(),
  })
  .strict()
export type JobSpec = z.infer<typeof JobSpec>

/** Defaults an enqueue call applies to every job that does not say otherwise. */
export const JobDefaults = JobSpec.omit({ prompt: true, idempotencyKey: true }).partial()
export type JobDefaults = z.infer<typeof JobDefaults>

export const JobSummary = z.object({
  id: z.number().int(),
  state: JobState,
  priority: Priority,
  provider: z.string(),
  model: z.string().nullable(),
  promptPreview: z.string(),
  batchId: z.number().int().nullable(),
  attemptsMade: z.number().int(),
  maxAttempts: z.number().int(),
  createdAt: z.number(),
  runAt: z.number(),
  finishedAt: z.number().nullable(),
  lastError: z.string().nullable(),
  /** Why a queued, due job is not running (a breaker open, its provider paused...), when something holds it. */
  held: z.string().nullable().optional(),
  /** For a job that names no model: the one its profile runs (null when the profile names none, or the provider is a kind). */
  profileModel: z.string().nullable().optional(),
})
export type JobSummary = z.infer<typeof JobSummary>

export const JobEvent = z.object({
  at: z.number(),
  from: JobState.nullable(),
  to: JobState,
  detail: z.string().nullable(),
})
export type JobEvent = z.infer<typeof JobEvent>

export const ATTEMPT_OUTCOMES = ['ok', 'error', 'stalled', 'cancelled'] as const
export const JobAttempt = z.object({
  number: z.number().int(),
  startedAt: z.number(),
  endedAt: z.number(),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  errorCategory: z.string().nullable(),
  error: z.string().nullable(),
  /** Plain input; what the provider's prompt cache read and wrote is beside it (shared/tokens), absent when none. */
  inputTokens: z.number().int().nullable(),
  outputTokens: z.number().int().nullable(),
  cachedInputTokens: z.number().int().positive().optional(),
  cacheWriteTokens: z.number().int().positive().optional(),
  /** The fallback the attempt ran on ("backup" or "backup/model") while the job's own profile was held; null on its own. */
  ranOn: z.string().nullable(),
  /** The model the attempt ran: the job's, else its profile's default; null when not recorded (older attempts, a stall). */
  model: z.string().nullable(),
  /** The severity its error category declared when it failed (src/shared/errors.ts); null when it succeeded. */
  severity: z.enum(ERROR_SEVERITIES).nullable(),
  /** UNKNOWN failures: where the error was thrown (redacted, a few KB at most). */
  stack: z.string().nullable(),
  /** Answered from the response cache, with no provider call (src/main/cache); absent otherwise. */
  cached: z.literal(true).optional(),
})
export type JobAttempt = z.infer<typeof JobAttempt>

export const ProviderBatchRef = z.object({
  id: z.number().int(),
  /** The batch's id at the provider (OpenAI batch_..., Anthropic msgbatch_...); null until the upload was accepted. */
  remoteId: z.string().nullable(),
  /** preparing, sent, cancelling (a deadline passed), settled, abandoned. */
  state: z.string(),
  /** The provider's own word for it: validating, in_progress, finalizing, completed, ended, expired... */
  remoteStatus: z.string().nullable(),
})
export type ProviderBatchRef = z.infer<typeof ProviderBatchRef>

export const JobDetail = JobSummary.extend({
  prompt: z.string(),
  tags: z.array(z.string()),
  config: StoredConfig,
  idempotencyKey: z.string().nullable(),
  stalledCount: z.number().int(),
  output: z.string().nullable(),
  /** The file the output was written to, when it was. */
  artifact: z.string().nullable(),
  events: z.array(JobEvent),
  attempts: z.array(JobAttempt),
  /** The provider batch the job went in last (the batch lane): its row, its id at the provider and where it stands. */
  providerBatch: ProviderBatchRef.nullable().optional(),
})
export type JobDetail = z.infer<typeof JobDetail>

export const QueueCounts = z.object(Object.fromEntries(JOB_STATES.map((s) => [s, z.number().int()])) as Record<JobState, z.ZodNumber>)
export type QueueCounts = Record<JobState, number>

export const QueueStats = z.object({
  counts: QueueCounts,
  paused: z.boolean(),
})
export type QueueStats = z.infer<typeof QueueStats>
