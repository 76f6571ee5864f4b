/**
 * The one contract between the renderer (or any client) and the engine. The IPC handlers,
 * the preload bridge, the HTTP routes and the renderer's client are all derived from it:
 * an operation is declared here once, with zod schemas for what goes in and comes out.
 */
import { z } from 'zod'
import { JobDefaults, JobDetail, JobSpec, JobState, JobSummary, QueueStats } from './jobs'
import { ProviderProfile } from './providers'

const JobId = z.object({ id: z.number().int().positive() })
const Empty = z.object({}).strict()

/** Most jobs one enqueue call may carry; larger files are split by the intake. */
export const MAX_JOBS_PER_CALL = 200_000
export const MAX_PAGE = 500

export const contract = {
  queueStats: { input: Empty, output: QueueStats },
  listJobs: {
    input: z
      .object({
        state: JobState.optional(),
        batchId: z.number().int().positive().optional(),
        /** Keyset paging: jobs with an id below this one, newest first. */
        beforeId: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(MAX_PAGE).default(100),
      })
      .strict(),
    output: z.object({ jobs: z.array(JobSummary) }),
  },
  getJob: { input: JobId.strict(), output: JobDetail },
  enqueueJobs: {
    input: z
      .object({
        jobs: z.array(JobSpec).min(1, 'no jobs to enqueue').max(MAX_JOBS_PER_CALL),
        defaults: JobDefaults.optional(),
        batchName: z.string().trim().min(1).max(200).optional(),
      })
      .strict(),
    output: z.object({
      batchId: z.number().int(),
      jobIds: z.array(z.number().int()),
      /** Jobs whose idempotency key was already known: their existing ids are in jobIds. */
      duplicates: z.number().int(),
    }),
  },
  retryJob: { input: JobId.strict(), output: JobSummary },
  cancelJob: { input: JobId.strict(), output: JobSummary },
  deleteJob: { input: JobId.strict(), output: z.object({ deleted: z.boolean() }) },
  pauseQueue: { input: Empty, output: QueueStats },
  resumeQueue: { input: Empty, output: QueueStats },
  cleanQueue: {
    input: z
      .object({
        state: z.enum(['completed', 'dead', 'cancelled']),
        olderThanMs: z.number().int().min(0).optional(),
      })
      .strict(),
    output: z.object({ removed: z.number().int() }),
  },
  listProviders: { input: Empty, output: z.object({ profiles: z.array(ProviderProfile.extend({ hasKey: z.boolean() })) }) },
  /**
   * `apiKey` is write-only: kept encrypted where the app can (the desktop app's keychain),
   * never returned, and refused where it cannot (headless mode and the CLI).
   */
  saveProvider: {
    input: ProviderProfile.extend({ apiKey: z.string().trim().min(1).max(1000).optional() }),
    output: ProviderProfile.extend({ hasKey: z.boolean() }),
  },
  removeProvider: { input: z.object({ name: z.string().min(1).max(64) }).strict(), output: z.object({ removed: z.boolean() }) },
  retryDead: {
    input: z.union([JobId.strict(), z.object({ all: z.literal(true) }).strict()]),
    output: z.object({ retried: z.number().int() }),
  },
} as const

export type Contract = typeof contract
export type OperationName = keyof Contract
export type OperationInput<K extends OperationName> = z.input<Contract[K]['input']>
export type OperationOutput<K extends OperationName> = z.output<Contract[K]['output']>
export const OPERATION_NAMES = Object.keys(contract) as OperationName[]

/** The bridge a renderer talks to: one named async function per operation. */
export type Api = { [K in OperationName]: (input: OperationInput<K>) => Promise<OperationOutput<K>> }

export const JobChange = z.object({ id: z.number().int(), state: JobState, attemptsMade: z.number().int() })
export type JobChange = z.infer<typeof JobChange>

export const events = {
  /** Counts by state and the paused flag, at most a few times a second. */
  counts: QueueStats,
  /**
   * Jobs that changed state since the last such event, coalesced to the latest state per
   * job. `truncated` means too many changed to list: refetch what is on screen.
   */
  jobs: z.object({ changes: z.array(JobChange), truncated: z.boolean() }),
  /** Live progress of running attempts, a few updates a second per job at most. */
  progress: z.object({
    updates: z.array(
      z.object({
        id: z.number().int(),
        fraction: z.number().min(0).max(1).nullable(),
        outputTokens: z.number().int(),
        elapsedMs: z.number(),
      }),
    ),
  }),
} as const
export type EngineEvents = { [K in keyof typeof events]: z.infer<(typeof events)[K]> }
export type EventName = keyof EngineEvents
export type EngineEvent = { [K in EventName]: { type: K; data: EngineEvents[K] } }[EventName]

/** Codes a failed operation carries across any boundary; clients decide on the code. */
export const ERROR_CODES = ['INVALID_INPUT', 'NOT_FOUND', 'CONFLICT', 'UNAUTHORIZED', 'INTERNAL'] as const
export type ErrorCode = (typeof ERROR_CODES)[number]
export const OperationFailure = z.object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }) })
export type OperationFailure = z.infer<typeof OperationFailure>

/** An operation that failed for a reason the caller can act on. */
export class OperationError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.name = 'OperationError'
  }
}

/** A zod failure as one line an operator can read: `jobs.3.prompt: prompt is empty`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ')
}
