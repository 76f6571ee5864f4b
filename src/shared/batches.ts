/**
 * Batches as the operator sees them: where their jobs came from, how far along they are,
 * what they cost, their results exported beside the inputs, two runs compared, and a run
 * again with changes. Pure TypeScript and zod, shared by the engine, the CLI and the screens.
 */
import { z } from 'zod'
import { StoredConfig } from './jobs'

const Id = z.number().int().positive()

/** One file a batch was made from: its name, format, jobs and the input's own field names. */
export const BatchSource = z.object({
  name: z.string().min(1).max(255),
  format: z.string().max(20),
  jobs: z.number().int().min(0),
  /** A CSV's header, or the fields a JSON file's jobs use (their union, in order of first appearance). */
  columns: z.array(z.string().max(1000)).max(500),
})
export type BatchSource = z.infer<typeof BatchSource>

/** Where one job came from: the file (its place in the batch's sources), its line or row, and the input's own fields. */
export const JobOrigin = z.object({
  file: z.number().int().min(0).max(100),
  /** The line the job starts on (a CSV row's first line); 0 when the file is one prompt. */
  row: z.number().int().min(0),
  input: z.record(z.string(), z.unknown()).nullable(),
})
export type JobOrigin = z.infer<typeof JobOrigin>

export const BATCH_STATES = ['queued', 'submitted', 'active', 'completed', 'dead', 'cancelled'] as const
export const BatchCounts = z.object(
  Object.fromEntries(BATCH_STATES.map((state) => [state, z.number().int()])) as Record<(typeof BATCH_STATES)[number], z.ZodNumber>,
)
export type BatchCounts = z.infer<typeof BatchCounts>

/** A batch in the list: its progress, rate, ETA and spend, without anything that reads its jobs. */
export const BatchSummary = z.object({
  id: z.number().int(),
  name: z.string(),
  createdAt: z.number(),
  sources: z.array(BatchSource),
  counts: BatchCounts,
  /** Jobs in the batch now (pruned and deleted jobs leave it). */
  total: z.number().int(),
  /** Completed, dead or cancelled. */
  finished: z.number().int(),
  /** Jobs finished a minute over the last five minutes; null before any. */
  ratePerMinute: z.number().nullable(),
  /** From the recent rate and what is left (queued and running); null when nothing moves or the batch is held. */
  etaMs: z.number().nullable(),
  /** Why the batch's queued jobs do not start, when something holds them all: its pause (and who made it), the paused queue. */
  held: z.string().nullable(),
  pause: z.object({ reason: z.string(), at: z.number() }).nullable(),
  maxConcurrency: z.number().int().nullable(),
  /** Who set the cap, when it is known. */
  cappedBy: z.string().nullable(),
  attempts: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
  unpricedAttempts: z.number().int(),
  /** The cost so far scaled to every job of the batch, once some have finished; null before. */
  estimatedTotalUsd: z.number().nullable(),
  /** The batch this one re-runs with changes. */
  rerunOf: z.number().int().nullable(),
})
export type BatchSummary = z.infer<typeof BatchSummary>

export const BatchDetail = BatchSummary.extend({
  /** Of the latest completed jobs (at most 1,000): their last attempt's time. */
  p50LatencyMs: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  /** Dead jobs by the category of their last failure, most first. */
  failures: z.array(z.object({ category: z.string(), count: z.number().int() })),
  /** What the re-run changed (provider, model, config), when it is one. */
  rerunChanges: z.record(z.string(), z.unknown()).nullable(),
  /** Batches that re-run this one. */
  reruns: z.array(z.number().int()),
})
export type BatchDetail = z.infer<typeof BatchDetail>

export const ListBatchesInput = z
  .object({
    /** Keyset paging, newest first: batches with an id below this one. */
    beforeId: Id.optional(),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict()

export const EXPORT_FORMATS = ['csv', 'jsonl', 'parquet'] as const
export const ExportFormat = z.enum(EXPORT_FORMATS, { error: `the format is one of ${EXPORT_FORMATS.join(', ')}` })
export type ExportFormat = z.infer<typeof ExportFormat>

export const ExportBatchInput = z.object({ batchId: Id, format: ExportFormat }).strict()

/** An export written: where, how many rows, and how many jobs of the batch had not finished when it was read. */
export const BatchExport = z.object({
  batchId: z.number().int(),
  format: ExportFormat,
  /** The file's name (the window downloads it by this name) and its full path. */
  file: z.string(),
  path: z.string(),
  rows: z.number().int(),
  notFinished: z.number().int(),
  bytes: z.number().int(),
})
export type BatchExport = z.infer<typeof BatchExport>

/** One side of a compared row: what one batch's job for that input gave. */
export const ComparedJob = z.object({
  jobId: z.number().int(),
  state: z.string(),
  output: z.string().nullable(),
  category: z.string().nullable(),
  /** 'failed' when the output did not pass the job's check (a VALIDATION failure), 'passed' when a checked output did, else null. */
  validation: z.enum(['passed', 'failed']).nullable(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number().nullable(),
  latencyMs: z.number().nullable(),
})
export type ComparedJob = z.infer<typeof ComparedJob>

export const ComparedRow = z.object({
  /** How the two were matched: `file:row` of the input, or `#n` (the n-th job) when the batches kept no sources. */
  key: z.string(),
  a: ComparedJob.nullable(),
  b: ComparedJob.nullable(),
  /** Same state and same output. */
  same: z.boolean(),
})
export type ComparedRow = z.infer<typeof ComparedRow>

export const RunTotals = z.object({
  batchId: z.number().int(),
  name: z.string(),
  jobs: z.number().int(),
  completed: z.number().int(),
  dead: z.number().int(),
  costUsd: z.number(),
  p50LatencyMs: z.number().nullable(),
  p95LatencyMs: z.number().nullable(),
  /** Dead of finished (completed and dead); null before any finished. */
  failureRate: z.number().nullable(),
  /** Mean characters of completed outputs. */
  meanOutputChars: z.number().nullable(),
})
export type RunTotals = z.infer<typeof RunTotals>

export const CompareBatchesInput = z
  .object({
    a: Id,
    b: Id,
    /** Only the rows whose state or output differ. */
    onlyDifferent: z.boolean().default(false),
    /** Where this page starts: the last page's `next` (0: the first page). */
    after: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .strict()
  .refine((input) => input.a !== input.b, { error: 'compare two different batches' })

export const BatchComparison = z.object({
  a: RunTotals,
  b: RunTotals,
  /** How rows are matched: by the input's file and row, or by order when either batch kept no sources. */
  matchedBy: z.enum(['input row', 'order']),
  rows: z.array(ComparedRow),
  /** Where the next page starts (pass it as `after`); null at the end. A page may hold fewer rows than asked and still have a next. */
  next: z.number().int().nullable(),
})
export type BatchComparison = z.infer<typeof BatchComparison>

/** What a re-run changes: another provider or profile, model, or config keys laid over each job's. */
export const RerunChanges = z
  .object({
    provider: z.string().trim().min(1).max(100).optional(),
    model: z.string().trim().min(1).max(500).optional(),
    config: StoredConfig.optional(),
  })
  .strict()
export type RerunChanges = z.infer<typeof RerunChanges>

export const RerunBatchInput = z
  .object({
    batchId: Id,
    changes: RerunChanges,
    /** Only estimate: nothing is enqueued. */
    estimateOnly: z.boolean().default(false),
  })
  .strict()

export const RerunEstimate = z.object({
  jobs: z.number().int(),
  /** From the first run's mean tokens a job and the new model's price; null when that model has no price or the first run used no tokens yet. */
  estimatedUsd: z.number().nullable(),
  /** How the estimate was made, in words. */
  basis: z.string(),
})

export const RerunResult = z.object({
  estimate: RerunEstimate,
  /** The new batch; null when only estimated. */
  batchId: z.number().int().nullable(),
})
export type RerunResult = z.infer<typeof RerunResult>

/** `6 min`, `1 h 05 min`, `40 s`: an ETA in words. */
export function formatEta(ms: number | null): string {
  if (ms === null) return '—'
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`
}
