/**
 * What the batch lane's steps (gather, poll, settle) are given by the engine: the store,
 * the options, the scheduler's view of providers (profiles, keys, pauses, budgets) and its
 * hooks, so that a line's attempt is resolved, priced, counted and announced as a real-time
 * attempt is.
 */
import type { JobChange } from '../../shared/contract'
import type { Reservation } from '../store/sqlite/costs/reservations'
import type { PriceBook } from '../costs/pricing'
import type { BackoffOptions } from '../queue/backoff'
import type { AttemptEnded } from '../queue/scheduler-hooks'
import type { Resolved } from '../queue/profiles'
import type { ClaimedJob, FinishedJob, Route } from '../queue/store'
import type { BatchApi, BatchApiTarget } from './api'
import type { BatchLaneConfig } from './options'
import type { DueJob, ProviderBatchStore } from './store'

export interface LaneParts {
  store: ProviderBatchStore
  config: BatchLaneConfig
  /** The engine's lease owner: it names who polls a provider batch. */
  owner: string
  backoff: BackoffOptions
  pricing: PriceBook | undefined
  /** Where artifacts go; null: none are written. */
  artifactsDir: string | null
  /** The job's provider resolved as a dispatch resolves it: profile, model, config under the job's, endpoint with its key. */
  resolve(job: Pick<ClaimedJob, 'provider' | 'model' | 'config'>): Resolved
  /** What a line reserves against the budgets, while some budget is set. */
  reserving(): ((route: Route, batchId: number | null, promptChars: number, maxTokens: number | null) => Reservation) | undefined
  /** The response cache's key of a job's request; null when it takes no part. */
  cacheKeyOf(job: Pick<ClaimedJob, 'provider' | 'model' | 'config' | 'prompt'>): string | null
  /** Which of these keys the response cache holds an answer for. */
  cached(keys: readonly string[]): Promise<Set<string>>
  /** True while nothing of this job may be sent: the queue, its provider or its batch paused, its profile's key unopened here. */
  held(job: Pick<DueJob, 'provider' | 'batchId'>): boolean
  /** Which lease owners are gone (workers.ts goneOwners): a batch one of them left preparing is taken over. */
  ownersGone(): Promise<(owner: string, since: number) => boolean>
  /** The SDK client of a provider batch API (tests may point it elsewhere only through profiles, as for real time). */
  apiFor(target: BatchApiTarget): BatchApi
  hooks: LaneHooks
  /**
   * Uploads the provider accepted whose record in the store failed (a lost connection, say),
   * by provider batch: recorded before anything else at each step, so a batch the provider
   * runs is never taken for one that was never sent.
   */
  unrecorded: Map<number, { remoteId: string; status: string }>
}

export interface LaneHooks {
  onChanges(changes: JobChange[]): void
  onError(error: unknown, during: string): void
  /** A line's attempt ended: breakers and metrics hear it as they hear a real-time attempt. */
  onAttemptEnded?(attempt: AttemptEnded & { outcome: NonNullable<AttemptEnded['outcome']> }): void
  /** Jobs a settle completed or killed, for the metrics. */
  onFinished?(finished: FinishedJob[]): void
}
