/**
 * The one contract between the renderer (or any client) and the engine. The IPC handlers,
 * the preload bridge, the HTTP routes and the renderer's client are all derived from it:
 * an operation is declared here once, with zod schemas for what goes in and comes out.
 */
import { z } from 'zod'
import { AlertEvent, AlertRule, AlertStatus, AlertTransition } from './alerts'
import { CacheCleared, CacheStats } from './cache'
import {
  BatchComparison,
  BatchDetail,
  BatchExport,
  BatchSource,
  BatchSummary,
  CompareBatchesInput,
  ExportBatchInput,
  JobOrigin,
  ListBatchesInput,
  RerunBatchInput,
  RerunResult,
} from './batches'
import {
  BatchPause,
  BatchPauseInput,
  Budget,
  BudgetInput,
  BudgetTarget,
  CostReport,
  CostReportInput,
  Price,
  PriceKey,
  PriceSetting,
  Series,
  SeriesQuery,
} from './costs'
import { DeadFilter, DeadJob, DeadSelection, DeadStats, FailureGroup, Fingerprint, RegressionCase, RegressionRun } from './failures'
import { HealthReport } from './health'
import { JobLogs } from './logs'
import { DiagnosticBundle } from './diagnostics'
import { Estimate, EstimateIntakeInput } from './estimate'
import { CommitIntakeInput, IntakeCheck, IntakeCommitted, IntakeId, IntakeLoad, IntakePreview, PreviewIntakeInput } from './intake'
import { JobDefaults, JobDetail, JobSpec, JobState, JobSummary, QueueStats } from './jobs'
import { BulkResult, JobFilterOptions, JobFilters, JobPage, JobSort, ListPosition, MAX_BULK } from './job-list'
import { ProviderProfile } from './providers'
import { BreakerInfo, ProviderPause } from './resilience'
import { SettingRow } from './settings'
import { JobTrace } from './traces'
import { WorkerInfo } from './workers'

const JobId = z.object({ id: z.number().int().positive() })
const Empty = z.object({}).strict()

/** Most jobs one enqueue call may carry; larger files are split by the intake. */
export const MAX_JOBS_PER_CALL = 200_000
export const MAX_PAGE = 500

/** A provider's API key as a profile keeps it: one token of printable characters, as every provider issues them (a header cannot carry more). */
export const ApiKey = z
  .string()
  .trim()
  .min(1, 'the API key is empty')
  .max(1000, 'the API key is longer than 1,000 characters')
  .regex(/^[\x21-\x7e]+$/, 'the API key holds spaces or characters no provider issues')

export const contract = {
  queueStats: { input: Empty, output: QueueStats },
  /**
   * A page of jobs matching the filters, in the sort's order. Keyset paging: pass the last
   * page's `next` as `after`. A page can hold fewer than `limit` jobs and still have a
   * `next` (a search looks at a bounded number of jobs per call): ask again until `next` is null.
   */
  listJobs: {
    input: JobFilters.extend({
      /** Newest first when not given. */
      sort: JobSort.optional(),
      after: ListPosition.optional(),
      /** Keyset paging by id alone (newest first): jobs with an id below this one. */
      beforeId: z.number().int().positive().optional(),
      /** Only these jobs (those of them the filters match): how a screen refreshes rows it holds. */
      ids: z.array(z.number().int().positive()).min(1).max(MAX_PAGE).optional(),
      limit: z.number().int().min(1).max(MAX_PAGE).default(100),
    }).strict(),
    output: JobPage,
  },
  getJob: { input: JobId.strict(), output: JobDetail },
  enqueueJobs: {
    input: z
      .object({
        jobs: z.array(JobSpec).min(1, 'no jobs to enqueue').max(MAX_JOBS_PER_CALL),
        defaults: JobDefaults.optional(),
        batchName: z.string().trim().min(1).max(200).optional(),
        /** Most of this batch's jobs running at once, so one large batch cannot starve the rest. */
        maxConcurrency: z.number().int().positive().max(10_000).optional(),
        /** The files the jobs came from (a batch may hold several), for exports beside the input and comparisons. */
        sources: z.array(BatchSource).max(100).optional(),
        /** Where each job came from, one per job in order (its file in `sources`, its line or row, its input's fields). */
        origins: z.array(JobOrigin).max(MAX_JOBS_PER_CALL).optional(),
      })
      .strict()
      .refine((input) => input.origins === undefined || input.origins.length === input.jobs.length, {
        error: 'origins: give one per job, in the order of the jobs',
        path: ['origins'],
      })
      .refine((input) => input.origins === undefined || input.origins.every((origin) => origin.file < (input.sources?.length ?? 0)), {
        error: 'origins: each names a file of sources by its place',
        path: ['origins'],
      }),
    output: z.object({
      batchId: z.number().int(),
      jobIds: z.array(z.number().int()),
      /** Jobs whose idempotency key was already known: their existing ids are in jobIds. */
      duplicates: z.number().int(),
    }),
  },
  /**
   * What these jobs would use and cost if they were enqueued (nothing is): input tokens, the
   * output expected, cost per lane, the jobs the response cache would answer, the time the
   * profiles' limits make it take, and any budget it would cross. `genops enqueue --estimate`.
   */
  estimateJobs: {
    input: z
      .object({
        jobs: z.array(JobSpec).min(1, 'no jobs to estimate').max(MAX_JOBS_PER_CALL),
        defaults: JobDefaults.optional(),
      })
      .strict(),
    output: Estimate,
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
  listProviders: { input: Empty, output: z.object({ profiles: z.array(ProviderProfile.safeExtend({ hasKey: z.boolean() })) }) },
  /**
   * `apiKey` is write-only: kept sealed where the app can (the desktop app's keychain, the team
   * key), never returned, and refused where it cannot.
   */
  saveProvider: {
    input: ProviderProfile.safeExtend({ apiKey: ApiKey.optional() }),
    output: ProviderProfile.safeExtend({ hasKey: z.boolean() }),
  },
  removeProvider: { input: z.object({ name: z.string().min(1).max(64) }).strict(), output: z.object({ removed: z.boolean() }) },
  /** One (`id`), some (`ids`), every one (`all: true`), or those a filter matches (category, provider, batchId), with fresh attempts. */
  retryDead: {
    input: DeadSelection,
    output: z.object({ retried: z.number().int() }),
  },
  // Health
  healthReport: { input: Empty, output: HealthReport },
  /** The engine's settings, both kinds, with the values it runs with (read-only: `genops settings set` changes them). */
  listSettings: { input: Empty, output: z.object({ settings: z.array(SettingRow) }) },
  /** Changes a setting every process on the queue shares (it lives in the store); without `value`, back to its default. */
  saveSetting: {
    input: z.object({ key: z.string().min(1).max(200), value: z.json().optional() }).strict(),
    output: z.object({ key: z.string(), value: z.json().optional() }),
  },
  /** The engines working this queue: each one's host, process, version, state, last beat and the jobs it holds. */
  listWorkers: { input: Empty, output: z.object({ workers: z.array(WorkerInfo) }) },
  // The response cache
  cacheStats: { input: Empty, output: CacheStats },
  /** Removes cached answers: all, or those made longer ago than `olderThanMs`. */
  clearCache: { input: z.object({ olderThanMs: z.number().int().min(0).optional() }).strict(), output: CacheCleared },
  // Breakers, paused providers and batch caps
  listBreakers: { input: Empty, output: z.object({ breakers: z.array(BreakerInfo) }) },
  /** Closes a breaker now (its jobs are claimed again at once). */
  resetBreaker: { input: z.object({ name: z.string().min(1).max(600) }).strict(), output: z.object({ breaker: BreakerInfo }) },
  /** Holds a breaker open until it is reset: for a provider the operator knows is down. */
  openBreaker: { input: z.object({ name: z.string().min(1).max(600) }).strict(), output: z.object({ breaker: BreakerInfo }) },
  listProviderPauses: { input: Empty, output: z.object({ pauses: z.array(ProviderPause) }) },
  pauseProvider: {
    input: z.object({ provider: z.string().min(1).max(100), reason: z.string().trim().min(1).max(500).optional() }).strict(),
    output: z.object({ pauses: z.array(ProviderPause) }),
  },
  resumeProvider: { input: z.object({ provider: z.string().min(1).max(100) }).strict(), output: z.object({ resumed: z.boolean() }) },
  setBatchLimit: {
    input: z.object({ batchId: z.number().int().positive(), maxConcurrency: z.number().int().positive().max(10_000).nullable() }).strict(),
    output: z.object({ updated: z.boolean() }),
  },
  // Dead letters, failure groups and regression cases
  listDead: {
    input: DeadFilter.extend({
      /** Keyset paging: dead jobs with an id below this one, newest first. */
      beforeId: z.number().int().positive().optional(),
      limit: z.number().int().min(1).max(MAX_PAGE).default(100),
    }).strict(),
    output: z.object({ jobs: z.array(DeadJob) }),
  },
  deadStats: { input: Empty, output: DeadStats },
  purgeDead: { input: DeadSelection, output: z.object({ removed: z.number().int() }) },
  listFailureGroups: {
    input: z
      .object({
        limit: z.number().int().min(1).max(MAX_PAGE).default(50),
        /** Only groups seen often enough to be flagged. */
        flagged: z.boolean().optional(),
      })
      .strict(),
    output: z.object({ groups: z.array(FailureGroup) }),
  },
  /** Copies the specs of a flagged group's sample jobs into the regression set. */
  pinFailureGroup: {
    input: z.object({ fingerprint: Fingerprint }).strict(),
    output: z.object({ group: FailureGroup, added: z.number().int() }),
  },
  listRegressions: { input: z.object({ fingerprint: Fingerprint.optional() }).strict(), output: z.object({ cases: z.array(RegressionCase) }) },
  /** Enqueues the regression cases (of one group, or all) as one batch; each case's latest result is its job's state. */
  runRegressions: { input: z.object({ fingerprint: Fingerprint.optional() }).strict(), output: RegressionRun },
  // Traces
  /** The spans of a job's attempts (one trace per attempt), for the job detail's waterfall. */
  getTrace: { input: z.object({ jobId: z.number().int().positive() }).strict(), output: JobTrace },
  // Costs and dashboard series
  /** Every price in use: the operator's overrides first, then the list prices (resources/pricing.json) they leave. */
  listPrices: { input: Empty, output: z.object({ prices: z.array(Price) }) },
  /** Prices a model (or `*`: the provider's other models) of a provider kind or profile, in USD per million tokens. */
  setPrice: { input: PriceSetting, output: Price },
  removePrice: { input: PriceKey, output: z.object({ removed: z.boolean() }) },
  /** Attempts, tokens and cost by provider, model, day, batch or tag; notes say what has no price and what a source leaves out. */
  costReport: { input: CostReportInput, output: CostReport },
  listBudgets: { input: Empty, output: z.object({ budgets: z.array(Budget) }) },
  /** Sets the (UTC) day's budget or a batch's: crossing it raises a notice and, with action pause, pauses the queue or the batch. */
  setBudget: { input: BudgetInput, output: Budget },
  removeBudget: { input: BudgetTarget, output: z.object({ removed: z.boolean() }) },
  /** Holds a batch's queued jobs (running ones finish) until it is resumed. */
  pauseBatch: { input: BatchPauseInput, output: z.object({ pauses: z.array(BatchPause) }) },
  resumeBatch: { input: z.object({ batchId: z.number().int().positive() }).strict(), output: z.object({ resumed: z.boolean() }) },
  /** A dashboard series from the rollups: throughput, queue depth, latency percentiles, tokens or cost over time. */
  series: { input: SeriesQuery, output: Series },
  // Intake (drag-in)
  /** Reads dropped files (base64, at most 64 MiB each, 20 a drop) and keeps their jobs for 10 minutes; with `intakeId`, adds to that drop. */
  previewIntake: { input: PreviewIntakeInput, output: IntakePreview },
  /**
   * What a previewed drop's good files would use and cost with these choices, before anything
   * is enqueued: tokens, cost per lane, the jobs the response cache would answer, the time the
   * profile's limits make it take, and any budget it would cross.
   */
  estimateIntake: { input: EstimateIntakeInput, output: Estimate },
  /** Enqueues a previewed drop's good files as one batch named from them, in one transaction; nothing from a refused file. */
  commitIntake: { input: CommitIntakeInput, output: IntakeCommitted },
  /** Forgets a previewed drop without enqueueing anything. */
  cancelIntake: { input: z.object({ intakeId: IntakeId }).strict(), output: z.object({ cancelled: z.boolean() }) },
  // Bulk job actions
  /** Cancels queued and running jobs (a running one's attempt is stopped); the others are skipped with why. */
  cancelJobs: { input: z.object({ ids: z.array(z.number().int().positive()).min(1).max(MAX_BULK) }).strict(), output: BulkResult },
  /** Sends dead and cancelled jobs back to the queue with fresh attempts; the others are skipped with why. */
  retryJobs: { input: z.object({ ids: z.array(z.number().int().positive()).min(1).max(MAX_BULK) }).strict(), output: BulkResult },
  /** The values the jobs screen's filters offer: providers and models in use, recent batches, tags of recent jobs. */
  jobFilterOptions: { input: Empty, output: JobFilterOptions },
  // Job logs
  /** The job's lines from the engine's log, newest 200 at most. */
  jobLogs: { input: z.object({ jobId: z.number().int().positive() }).strict(), output: JobLogs },
  // Alerts
  /** Every rule (the shipped defaults as the operator left them, then the operator's own) with where it stands now. */
  listAlerts: { input: Empty, output: z.object({ alerts: z.array(AlertStatus) }) },
  /** Transitions, newest first: of one rule, since a time, at most `limit`. */
  alertHistory: {
    input: z
      .object({
        name: z.string().min(1).max(100).optional(),
        since: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(MAX_PAGE).default(100),
      })
      .strict(),
    output: z.object({ transitions: z.array(AlertTransition) }),
  },
  /** Adds a rule, or changes one (a shipped default too: its change is kept over the default). */
  saveAlertRule: { input: AlertRule, output: AlertStatus },
  /** Removes an operator's rule; for a shipped default, forgets the operator's change (disable it to silence it). */
  removeAlertRule: { input: z.object({ name: z.string().min(1).max(100) }).strict(), output: z.object({ removed: z.boolean() }) },
  // Batches
  /** Batches newest first, with their sources, counts by state, rate, ETA and spend. */
  listBatches: { input: ListBatchesInput, output: z.object({ batches: z.array(BatchSummary) }) },
  /** One batch with its latency, failures by category and re-runs. */
  getBatch: { input: z.object({ batchId: z.number().int().positive() }).strict(), output: BatchDetail },
  /** Writes the batch's finished jobs beside their inputs (CSV, JSON lines or Parquet) into <dataDir>/exports; says how many jobs had not finished. */
  exportBatch: { input: ExportBatchInput, output: BatchExport },
  /** Two runs of one input side by side, matched by input row (or order), with their totals. */
  compareBatches: { input: CompareBatchesInput, output: BatchComparison },
  /** Runs a batch again with another provider, model or config as a new batch linked to it; `estimateOnly` enqueues nothing. */
  rerunBatch: { input: RerunBatchInput, output: RerunResult },
  /** Cancels every queued and running job of a batch. */
  cancelBatch: { input: z.object({ batchId: z.number().int().positive() }).strict(), output: z.object({ cancelled: z.number().int() }) },
  // Diagnostics
  /** Writes a diagnostic bundle (a zip, secrets redacted) into <dataDir>/bundles and says where. */
  exportBundle: { input: Empty, output: DiagnosticBundle },
} as const

export type Contract = typeof contract
export type OperationName = keyof Contract
export type OperationInput<K extends OperationName> = z.input<Contract[K]['input']>
export type OperationOutput<K extends OperationName> = z.output<Contract[K]['output']>
export const OPERATION_NAMES = Object.keys(contract) as OperationName[]

/** Handlers for some operations: what each domain's module provides and the engine merges into one map. */
export type OperationHandlers<K extends OperationName> = { [P in K]: (input: z.output<Contract[P]['input']>) => Promise<OperationOutput<P>> }

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
  /** Something an operator should know now: a breaker opened or closed, a provider was paused. */
  notice: z.object({ level: z.enum(['info', 'warning', 'critical']), message: z.string(), at: z.number() }),
  /** An alert changed state (pending, firing, resolved): one event per transition, not per evaluation; only fired spells have a history id. */
  alert: AlertEvent,
  /** The desktop shell asks the window to show a place (`#/alerts`): a notification or a tray item was clicked. */
  show: z.object({ route: z.string().regex(/^#\/[A-Za-z0-9_/-]*$/) }),
  /** The desktop shell was handed files (a second start, the dock): their preview, as a drop would give. */
  filesOpened: IntakePreview,
  /** A big dropped file's check, a few times a second while the engine reads it, and once at its last line. */
  intakeCheck: IntakeCheck,
  /** A big drop's load, a few times a second while it loads, and once when every job is written. */
  intakeLoad: IntakeLoad,
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
    .map((issue) => {
      const at = issue.path.join('.')
      // A message that names its own place (a job config's problems say `config.temperature: ...`) is not prefixed twice.
      return at === '' || issue.message.startsWith(`${at}.`) || issue.message.startsWith(`${at}:`) ? issue.message : `${at}: ${issue.message}`
    })
    .join('; ')
}
