/**
 * What the batch lane asks of the store: the batch-lane jobs due, the provider batches with
 * their leases, and the moves of a job in and out of one. The SQLite answer is in
 * store/sqlite/queue/provider-batches.ts, PostgreSQL's in store/postgres/provider-batches.ts
 * (every engine on a team store uploads, polls and settles batches of one queue). A line's
 * attempt is settled through the queue's own settle (state 'submitted' instead of 'active'),
 * never a second one.
 */
import type { JobChange } from '../../shared/contract'
import type { Reservation } from '../store/sqlite/costs/reservations'
import type { AttemptResult, Awaitable, FinishedJob } from '../queue/store'
import type { TokenUsage } from '../../shared/tokens'

/** The lease owner of a provider batch's submitted jobs: the batch, not an engine (the stall sweep never takes them back). */
export const batchOwner = (id: number): string => `provider-batch:${id}`

export type BatchKind = 'openai' | 'anthropic'
export type ProviderBatchState = 'preparing' | 'sent' | 'cancelling' | 'settled' | 'abandoned'

/** A queued batch-lane job, as the gatherer reads it. */
export interface DueJob {
  id: number
  provider: string
  model: string | null
  prompt: string
  config: Record<string, unknown>
  batchId: number | null
  createdAt: number
  /** Attempts made so far: the line is attempt `attemptsMade + 1`. */
  attemptsMade: number
  runAt: number
}

/** An answered line of a cancelled job, priced. */
export interface BilledLine extends TokenUsage {
  customId: string
  endedAt: number
  costUsd: number | null
}

/** A place in the due jobs' order (run_at, then id): a gather reads on from there. */
export interface DuePosition {
  runAt: number
  id: number
}

/** A job taken into a provider batch: its line's custom_id, and what the budgets reserve for it. */
export interface TakenLine {
  jobId: number
  customId: string
  reservation?: Reservation | undefined
}

/** What a take moved: its provider batch's id (null when it took no job, and wrote no row) and the jobs in it. */
export interface TakenBatch {
  id: number | null
  taken: Set<number>
  changes: JobChange[]
}

export interface NewProviderBatch {
  provider: string
  kind: BatchKind
  model: string
  lines: readonly TakenLine[]
  bytes: number
  deadlineAt: number | null
  owner: string
  now: number
  leaseMs: number
  firstPollAt: number
}

export interface ProviderBatch {
  id: number
  provider: string
  kind: BatchKind
  model: string
  state: ProviderBatchState
  remoteId: string | null
  remoteStatus: string | null
  requests: number
  createdAt: number
  polls: number
  deadlineAt: number | null
  owner: string | null
}

/** A submitted job of a provider batch, as its result is settled. */
export interface SubmittedLine {
  jobId: number
  customId: string
  provider: string
  model: string | null
  prompt: string
  config: Record<string, unknown>
  batchId: number | null
  attempt: number
  startedAt: number
}

/** What the job detail shows of the provider batch a job went in. */
export interface JobProviderBatch {
  id: number
  remoteId: string | null
  state: ProviderBatchState
  remoteStatus: string | null
}

export interface ProviderBatchStore {
  /** Batch-lane jobs due now, oldest first; after `after` when given. */
  dueJobs(now: number, limit: number, after?: DuePosition | null): Awaitable<DueJob[]>
  /** Queued batch-lane jobs back to the real-time lane (a deadline passed, or no batch API for them now), with why. */
  toRealtime(jobIds: readonly number[], now: number, reason: string): Awaitable<JobChange[]>
  /**
   * One transaction: the provider batch's row, and each job still queued and due in the batch
   * lane, within the budgets that pause, moved to 'submitted' under it (its attempt counted,
   * its estimate reserved). Answers the row's id and the jobs taken (a job cancelled or
   * gathered elsewhere meanwhile is not); no row, and a null id, when none is.
   */
  take(batch: NewProviderBatch): Awaitable<TakenBatch>
  /** The provider accepted the upload. */
  sent(id: number, remoteId: string, remoteStatus: string): Awaitable<void>
  /** A poll's answer: the provider's status, and when to ask next. */
  polled(id: number, remoteStatus: string, now: number, nextPollAt: number, state?: ProviderBatchState): Awaitable<void>
  /**
   * The open batches this engine polls now (due, and its own or with no live poller: the
   * lease ran out, or `isGone` says its process is gone, given when the batch was made), their
   * leases taken; every open batch it holds has its lease renewed.
   */
  leaseDue(owner: string, now: number, leaseMs: number, isGone: (owner: string, since: number) => boolean): Awaitable<ProviderBatch[]>
  /**
   * Renews `owner`'s lease on the batch while it works on it past a poll (a long settle); false
   * when the batch is not its own any more (another engine took it over): it stops there.
   */
  keepLease(id: number, owner: string, now: number, leaseMs: number): Awaitable<boolean>
  /** Gives up this engine's leases at close, so the next engine takes its batches at once. */
  releaseLeases(owner: string): Awaitable<void>
  /** The batch's jobs still submitted under it. */
  lines(id: number): Awaitable<SubmittedLine[]>
  /**
   * Lines the provider answered after the operator cancelled their jobs: it bills them, so each is its job's attempt
   * (outcome cancelled) with its tokens and cost, counted in the rollups and the budgets. A line counted once.
   */
  billCancelled(id: number, answered: readonly BilledLine[]): Awaitable<number>
  /** Whether any line still waits on the batch: none once the operator cancelled every one of its jobs. */
  hasOpenLines(id: number): Awaitable<boolean>
  /** Settles lines as attempts (the queue's settle, from 'submitted'), adding the lines it settled to the batch's totals in the same commit. */
  settle(id: number, results: AttemptResult[], finished: FinishedJob[]): Awaitable<JobChange[]>
  /** Lines the provider did not finish: back to the queue with their attempt given back, to the real-time lane if asked. */
  requeue(id: number, jobIds: readonly number[], now: number, toRealtime: boolean, reason: string): Awaitable<JobChange[]>
  /** The batch is done with: the lines sent back to the queue, and why when it was abandoned (its settled lines were counted as they settled). */
  finish(id: number, state: 'settled' | 'abandoned', now: number, requeued: number, error?: string): Awaitable<void>
}
