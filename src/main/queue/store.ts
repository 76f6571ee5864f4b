/**
 * What the scheduler and the engine need from a queue store. The SQLite store is the
 * embedded default; a PostgreSQL store (claims by FOR UPDATE SKIP LOCKED) can implement
 * the same interface, which is why every method may answer with a promise.
 */
import type { StoreUpkeep } from '../store/upkeep'
import type { WorkerStore } from '../store/workers'
import type { JobChange } from '../../shared/contract'
import type { DeadFilter, DeadJob, DeadStats, FailureGroup, RegressionCase } from '../../shared/failures'
import type { JobDetail, JobState, JobSummary, QueueStats, StoredState } from '../../shared/jobs'
import type { JobFilterOptions, JobPage, JobSort, ListPosition } from '../../shared/job-list'
import type { BatchPause } from '../../shared/costs'
import type { BatchSource } from '../../shared/batches'
import type { BatchStore } from '../batches/store'
import type { ProviderProfile } from '../../shared/providers'
import type { QuotaReading } from '../../shared/ratelimit-headers'
import type { QuotaRoom } from '../resilience/provider-quota'
import type { BreakerTransition, ProviderPause } from '../../shared/resilience'
import type { StoredSpan, TraceSpan } from '../../shared/traces'
import type { AlertStore } from '../alerts/store'
import type { MetricStore } from '../telemetry/metric-store'
import type { BudgetRoom, CostStore } from '../costs/store'
import type { CacheNote, ResponseCacheStore } from '../cache/store'
import type { Reservation } from '../store/sqlite/costs/reservations'

/** A job ready to be written: defaults applied, validated at the boundary. */
export interface NewJob {
  prompt: string
  provider: string
  model: string | null
  priority: number
  runAt: number
  maxAttempts: number
  idempotencyKey: string | null
  tags: string[] | null
  config: Record<string, unknown> | null
  /** Where the job came from: its file in the batch's sources, its line or row, and the input's own fields as JSON text. */
  origin?: { file: number; row: number; input: string | null } | undefined
}

/** What a batch records beside its jobs: the files it was made from, and the batch it re-runs. */
export interface EnqueueOptions {
  sources?: readonly BatchSource[] | undefined
  rerunOf?: number | undefined
  rerunChanges?: Record<string, unknown> | undefined
  /** Who set the batch's cap, in words; default "its enqueue". */
  cappedBy?: string | undefined
}

/** How far a big load has come, for `genops enqueue` and the drop dialog. */
export interface LoadProgress {
  batchId: number
  loaded: number
  total: number
}

export interface LoadOptions extends EnqueueOptions {
  /** Told after each slice of a load in slices (none below the store's threshold, where one transaction takes it all). */
  onProgress?: ((progress: LoadProgress) => void) | undefined
}

/** A batch loading out of sight (QueueStore.beginLoad). */
export interface JobLoad {
  readonly batchId: number
  /** Jobs added so far. */
  readonly loaded: number
  /** Writes more of the batch's jobs, in short transactions; `onSlice` is told the jobs loaded so far. */
  add(jobs: readonly NewJob[], onSlice?: (loaded: number) => void): Promise<void>
  /** keep(): a later drop() leaves the jobs added so far. drop(): removes those added since, and goes on loading (one file refused of several). */
  keep(): Awaitable<void>
  drop(): Promise<void>
  /** Makes the whole batch visible and counts it, with what was not kept yet; `sources`: its files; `name`: its name, if it changed. */
  finish(sources?: readonly BatchSource[], name?: string): Awaitable<EnqueueResult>
  /** Removes the batch and every job written so far. */
  abandon(): Promise<void>
}

export interface EnqueueResult {
  batchId: number
  /** One id per job given, in order; a known idempotency key gives the existing job's id. */
  jobIds: number[]
  /**
   * The jobs this call added, by id, in the order given: jobIds less those of known keys
   * (a job already in the store, or one added earlier in the same call). As the store wrote
   * them, not inferred from the ids.
   */
  addedIds: number[]
  /** Jobs given whose idempotency key was known: jobIds.length - addedIds.length. */
  duplicates: number
}

/** A job the scheduler holds a lease on, with what a worker needs to run one attempt. */
export interface ClaimedJob {
  id: number
  batchId: number | null
  provider: string
  model: string | null
  prompt: string
  config: Record<string, unknown>
  /** This attempt's number, from 1. */
  attempt: number
  startedAt: number
  /** When the job became due: the queue wait ends at startedAt. */
  readyAt: number
  /** Set when the claim sent the job to a fallback of its held profile: the attempt runs there. */
  fallback?: Route | undefined
  /** Its place in its provider's shared log of starts (rate windows, quota), when the provider counts them. */
  startId?: number | undefined
}

/**
 * What became of an attempt's place in the log of starts: answered (with the usage and
 * rate-limit reading its answer carried), or freed, when a breaker handed the claim back
 * before it ran.
 */
export type StartReport =
  | { id: number; freed: true }
  | {
      id: number
      freed?: false
      answeredAt: number
      /** Tokens it really used, when it reported any; the estimate stays otherwise. */
      tokens: number | null
      reading?: QuotaReading | undefined
    }

/** How one attempt ended, as the scheduler reports it to the store. */
export type AttemptResult =
  | {
      id: number
      outcome: 'ok'
      endedAt: number
      output: string
      /** Where the attempt wrote its output, when it wrote one. */
      artifact?: string | null
      /** Plain input (shared/tokens); the prompt cache's classes beside it, absent as 0. */
      inputTokens: number | null
      outputTokens: number | null
      cachedInputTokens?: number | undefined
      cacheWriteTokens?: number | undefined
      /** The trace the attempt ran under, when traces are on. */
      traceId?: string | null
      cost?: AttemptCost | undefined
      /** The fallback it ran on ("backup" or "backup/model"), when it did. */
      ranOn?: string | null
      start?: StartReport | undefined
      /** The response cache's part: the answer to keep under its request's key, or the hit that answered it (src/main/cache). */
      cache?: CacheNote | undefined
    }
  | {
      id: number
      outcome: 'error'
      endedAt: number
      category: string
      message: string
      retryable: boolean
      /** Earliest next try, when the provider said (Retry-After) or backoff chose. */
      retryAt: number
      /**
       * The attempt is given back: not the job's fault (its provider refused the key, or a
       * breaker stopped it before it ran). The job returns to the queue with its attempts
       * as they were; the attempt is still recorded.
       */
      refund?: boolean
      traceId?: string | null
      cost?: AttemptCost | undefined
      ranOn?: string | null
      /** UNKNOWN failures: the error's stack, redacted and trimmed, kept with the attempt. */
      stack?: string | null
      start?: StartReport | undefined
    }

/** What an attempt ran on and cost, as the scheduler priced it: kept with the attempt, in the rollups and in its batch's total. */
export interface AttemptCost {
  /** The provider kind the job's provider name (a profile, perhaps) resolved to. */
  providerKind: string
  /** The model it ran: the job's, else its profile's. */
  model: string | null
  /** USD; null when tokens were used of a model with no price. */
  usd: number | null
}

/** A job that an attempt's result finished, for the metrics: by provider, model and how long it took. */
export interface FinishedJob {
  id: number
  provider: string
  model: string | null
  outcome: 'completed' | 'dead'
  createdAt: number
  finishedAt: number
}

export interface ClaimOptions {
  owner: string
  limit: number
  now: number
  leaseMs: number
  /**
   * When something holds work back (a breaker, a limit, a paused provider, a batch cap):
   * the store then claims track by track, asking the gate, with facts from the database.
   */
  gate?: ((facts: ClaimFacts) => TrackGate) | undefined
  /** Which claimed attempts take a place in their provider's shared log of starts, and the length of its rate window. */
  starts?: StartCounting | undefined
  /** Set while some budget exists: each claimed attempt reserves this estimate, and the gate's facts carry the budgets that pause. */
  reserve?: ((route: Route, batchId: number | null, promptChars: number, maxTokens: number | null) => Reservation) | undefined
}

export interface StartCounting {
  /** The rate windows' length (60 s unless configured; drills compress it). */
  windowMs: number
  /** The tokens an attempt on this route is estimated at, when its provider counts starts; null when it does not. */
  estimate(route: Route, promptChars: number, maxTokens: number | null): number | null
}

/** One provider's starts in its current rate window, and the room its own rate-limit reading leaves. */
export interface ProviderRate {
  requests: number
  tokens: number
  /** The oldest start in the window: when it leaves, a place frees. */
  oldestAt: number | null
  quota?: { reading: QuotaReading; room: QuotaRoom } | undefined
}

/** The jobs of one provider (or profile), model and batch: what the gates hold or let through. */
export interface Track {
  provider: string
  model: string | null
  batchId: number | null
}

/** A queued job as a gated claim weighs it. */
export interface Candidate extends Track {
  id: number
  priority: number
  runAt: number
  promptChars: number
  maxTokens: number | null
}

/** What the store knows at claim time, from the database, so other processes' attempts count too. */
export interface ClaimFacts {
  activeByProvider: ReadonlyMap<string, number>
  activeByBatch: ReadonlyMap<number, number>
  batchCaps: ReadonlyMap<number, number>
  /** Paused batches among the tracks' (over budget, or by the operator), with why. */
  pausedBatches: ReadonlyMap<number, string>
  /** Every provider's shared rate window and quota room. */
  rates: ReadonlyMap<string, ProviderRate>
  /** Providers cooling down after a cluster of 429s, until when. */
  cooldowns: ReadonlyMap<string, number>
  /** Budgets that pause, with what is left of each (only while the claim reserves). */
  budgets: readonly BudgetRoom[]
}

/** One claim's view of the gates: budgets are taken as candidates are admitted. */
export interface TrackGate {
  /** At most this many of the track's jobs can be admitted (Infinity when nothing limits it). */
  allowance(track: Track): number
  /**
   * Admits one job, taking from every budget it shares; false leaves it queued. A route
   * admits it to run there instead: a fallback of its held profile, whose budgets it took.
   */
  admit(candidate: Candidate): boolean | Route
}

/** Where a job runs instead of its own track: a fallback profile, with the model named for it (null: the profile's own). */
export interface Route {
  provider: string
  model: string | null
}

export interface RecoverOptions {
  now: number
  /** Past this many stalls a job is dead instead of requeued. */
  maxStalled: number
  /** Owners known dead (a crashed process on this host): their leases count as expired now. */
  deadOwners?: string[]
}

export interface ListOptions {
  state?: JobState | undefined
  batchId?: number | undefined
  provider?: string | undefined
  model?: string | undefined
  tag?: string | undefined
  /** Text in the prompt. */
  search?: string | undefined
  sort?: JobSort | undefined
  /** Keyset paging: the jobs after this position in the sort's order. */
  after?: ListPosition | undefined
  /** Keyset paging by id alone (newest first). */
  beforeId?: number | undefined
  /** Only these jobs, those the filters match. */
  ids?: number[] | undefined
  limit: number
}

export interface RetentionRule {
  /** Keep at most this many jobs in the state (newest kept). */
  maxCount: number
  /** Remove jobs finished longer ago than this. */
  maxAgeMs: number
}
export type RetentionPolicy = Record<'completed' | 'dead' | 'cancelled', RetentionRule>

export interface DeadListOptions extends DeadFilter {
  beforeId?: number | undefined
  limit: number
}

/** Which dead jobs a bulk retry or purge takes: some by id, or those a filter matches (an empty filter: every dead job). */
export type DeadSelection = { ids: number[] } | { where: DeadFilter }

/** A breaker transition as kept: written by an engine (its lease owner) or by an operator's command. */
export interface BreakerEvent extends BreakerTransition {
  id: number
  breaker: string
  owner: string
}

export type Awaitable<T> = T | Promise<T>

/** A profile's sealed key, as read, and the same key sealed anew (a team key's rotation). */
export interface ResealedKey {
  name: string
  from: Buffer
  to: Buffer
}

export interface QueueStore {
  /**
   * A settle and a claim may run at once, each on its own connection (a server store): the
   * scheduler then overlaps them instead of waiting out two round trips in turn. SQLite's one
   * writer takes them in turn.
   */
  readonly concurrentWrites?: boolean
  /** `maxConcurrency` caps how many of the batch's jobs run at once; `options` say where the jobs came from. */
  enqueue(jobs: NewJob[], batchName: string, now: number, maxConcurrency?: number | null, options?: EnqueueOptions): Awaitable<EnqueueResult>
  /**
   * The same as enqueue, for a call of any size: a big one is written in short transactions,
   * its jobs out of sight until the last is written, so the write lock and the caller's
   * thread are never held long (sqlite/load.ts). A store without it takes enqueue.
   */
  load?(jobs: NewJob[], batchName: string, now: number, maxConcurrency?: number | null, options?: LoadOptions): Promise<EnqueueResult>
  /**
   * A batch to load while its jobs are still being read (a big file as the intake thread
   * parses it, intake/stream.ts): out of sight until finished, removed whole if abandoned or
   * if its process dies. A store without it is given the whole file's jobs to `load`.
   */
  beginLoad?(batchName: string, now: number, maxConcurrency: number | null, options?: EnqueueOptions): Awaitable<JobLoad>
  /** Removes whole the batches whose loading process is gone (a crash mid-load); answers how many. */
  removeAbandonedLoads?(isGone: (owner: string) => boolean): Awaitable<number>
  claim(options: ClaimOptions): Awaitable<{ jobs: ClaimedJob[]; changes: JobChange[] }>
  /**
   * Records how attempts ended; results for jobs whose lease this owner lost are ignored.
   * The jobs this finished (completed or dead) are appended to `finished` when one is given.
   */
  settle(results: AttemptResult[], owner: string, finished?: FinishedJob[]): Awaitable<JobChange[]>
  extendLeases(owner: string, until: number): Awaitable<number>
  /** Active jobs whose leases are held by others, for spotting crashed owners. */
  leaseOwners(): Awaitable<string[]>
  recoverStalled(options: RecoverOptions): Awaitable<JobChange[]>
  /** Of these job ids, those no longer active under this owner (cancelled elsewhere, for instance). */
  lostLeases(owner: string, ids: number[]): Awaitable<number[]>

  stats(now: number): Awaitable<QueueStats>
  /** A page of the jobs screen's list; `total` only when it is cheap to know. */
  list(options: ListOptions, now: number): Awaitable<JobPage>
  /** What the jobs screen's filters offer: providers and models in use, recent batches and tags. */
  filterOptions(): Awaitable<JobFilterOptions>
  get(id: number, now: number): Awaitable<JobDetail | null>

  cancel(id: number, now: number): Awaitable<{ job: JobSummary; change: JobChange | null; wasActive: boolean }>
  retry(id: number, now: number, from: readonly StoredState[]): Awaitable<{ job: JobSummary; change: JobChange }>
  retryAllDead(now: number): Awaitable<number>
  listDead(options: DeadListOptions, now: number): Awaitable<DeadJob[]>
  deadStats(): Awaitable<DeadStats>
  /** Sends dead jobs back with fresh attempts; returns how many went. */
  retryDead(selection: DeadSelection, now: number): Awaitable<number>
  /** Deletes dead jobs; returns how many. */
  purgeDead(selection: DeadSelection): Awaitable<number>
  listFailureGroups(options: { limit: number; flagged?: boolean | undefined }): Awaitable<FailureGroup[]>
  /** Copies a flagged group's sample jobs' specs into the regression set; `added` counts the new cases. */
  pinFailureGroup(fingerprint: string, now: number): Awaitable<{ group: FailureGroup; added: number }>
  listRegressions(now: number, fingerprint?: string): Awaitable<RegressionCase[]>
  noteRegressionRun(runs: { caseId: number; jobId: number }[], now: number): Awaitable<void>
  remove(id: number): Awaitable<boolean>
  clean(state: 'completed' | 'dead' | 'cancelled', olderThan: number): Awaitable<number>
  applyRetention(policy: RetentionPolicy, now: number): Awaitable<number>
  /** The profiles whose row parses; each that does not is told to `onDamaged` (default: said on stderr) and left out. */
  listProfiles(onDamaged?: (name: string, reason: string) => void): Awaitable<ProviderProfile[]>
  /** With `secret`, the profile's sealed key too, at once; without, the key it has stays. */
  saveProfile(profile: ProviderProfile, now: number, secret?: Buffer): Awaitable<void>
  removeProfile(name: string): Awaitable<boolean>
  setProfileSecret(name: string, secret: Buffer | null): Awaitable<boolean>
  profileSecrets(): Awaitable<Map<string, Buffer>>
  /** Sealed keys replaced all at once (a team key's rotation), each only if unchanged since read; else none, a ResealConflict. */
  resealProfileSecrets(changes: readonly ResealedKey[]): Awaitable<void>
  providerPauses(): Awaitable<ProviderPause[]>
  pauseProvider(provider: string, reason: string, now: number): Awaitable<void>
  resumeProvider(provider: string): Awaitable<boolean>
  /** Cools a provider down for every process on the queue (a cluster of 429s with Retry-After). */
  coolDown(provider: string, until: number): Awaitable<void>
  /** True once some provider sent a rate-limit reading: claims then go track by track. */
  quotaReadingsExist(): Awaitable<boolean>
  recordBreakerEvent(event: Omit<BreakerEvent, 'id'>): Awaitable<number>
  /** Breaker transitions after this event id, oldest first: operators' commands and every engine's own. */
  breakerEventsAfter(afterId: number): Awaitable<BreakerEvent[]>
  lastBreakerEventId(): Awaitable<number>
  breakerHistory(perBreaker: number): Awaitable<Map<string, BreakerEvent[]>>
  /** Each breaker's attempts since then, ok and failed, whoever ran them (the minute rollups). */
  breakerCounts(since: number): Awaitable<Map<string, { ok: number; failed: number }>>
  setBatchLimit(batchId: number, maxConcurrency: number | null): Awaitable<boolean>
  batchCapsExist(): Awaitable<boolean>
  pausedBatches(): Awaitable<BatchPause[]>
  /** False when there is no such batch. */
  pauseBatch(batchId: number, reason: string, now: number): Awaitable<boolean>
  /** True when the batch was paused. */
  resumeBatch(batchId: number): Awaitable<boolean>
  /** Prices, budgets, cost reports and the dashboard's series, over the rollups this store's settle keeps. */
  readonly costs: CostStore
  /** Alert rules, states and history, and the usage over a window that rules read. */
  readonly alerts: AlertStore
  /** Batches' progress, sources, exports' rows and comparisons. */
  readonly batches: BatchStore
  /** The totals the store-wide metrics read, and the exporter lease (telemetry/metric-store). */
  readonly metrics: MetricStore
  /** Completed answers kept for identical requests (src/main/cache), written by settle, never pruned with the jobs. */
  readonly cache: ResponseCacheStore
  /** The store's own care, checks and size, asked by the engine and the health checks without knowing which store this is. */
  readonly upkeep: StoreUpkeep
  /** The engines working this queue (src/main/workers.ts). */
  readonly workers: WorkerStore
  setPaused(paused: boolean): Awaitable<void>
  isPaused(): Awaitable<boolean>
  /** Settings every process on this queue shares (src/main/settings), by key; values unvalidated. */
  sharedSettings(): Awaitable<Map<string, unknown>>
  /** Sets one, or (undefined) removes it so its default applies. */
  setSharedSetting(key: string, value: unknown): Awaitable<void>
  /** Spans of ended attempts, written in one transaction. */
  saveSpans(spans: readonly StoredSpan[]): Awaitable<void>
  /** The spans of a job's attempts, by attempt and start; null when there is no such job. */
  jobSpans(jobId: number): Awaitable<TraceSpan[] | null>
  /** Deletes up to `limit` of the oldest spans that ended before `before`; returns how many. */
  pruneSpans(before: number, limit: number): Awaitable<number>
  /** A number that changes whenever another connection commits: cheap change detection. */
  externalVersion(): Awaitable<number>
  close(): Awaitable<void>
}
