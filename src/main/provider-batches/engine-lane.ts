/**
 * The batch lane as the engine starts it: its steps get the scheduler's view of providers
 * (profiles, keys, pauses, budgets), its breakers and the metrics, so a line's attempt
 * counts where a real-time attempt counts.
 */
import type { JobChange } from '../../shared/contract'
import type { ResponseCacheStore } from '../cache/store'
import type { PriceBook } from '../costs/pricing'
import type { Scheduler } from '../queue/scheduler'
import type { AttemptEnded } from '../queue/scheduler-hooks'
import type { FinishedJob } from '../queue/store'
import { anthropicBatchApi } from './anthropic-api'
import type { BatchApi, BatchApiTarget } from './api'
import { BatchLane } from './lane'
import { openaiBatchApi } from './openai-api'
import type { BatchLaneConfig } from './options'
import type { ProviderBatchStore } from './store'
import type { WorkerStore } from '../store/workers'
import { goneOwners } from '../workers'

/** The SDK client of a kind's batch API. */
export function batchApiFor(target: BatchApiTarget): BatchApi {
  return target.kind === 'openai' ? openaiBatchApi(target) : anthropicBatchApi(target)
}

export interface EngineLaneDeps {
  store: ProviderBatchStore
  /** The engines on the store (the Workers panel's rows): how the lane tells an engine of another machine is gone. */
  workers: Pick<WorkerStore, 'beating'>
  /** The response cache's entries: a batch-lane job whose answer is kept is answered from it, not sent. */
  cache: Pick<ResponseCacheStore, 'find'>
  config: BatchLaneConfig
  scheduler: Scheduler
  backoff: { baseMs: number; maxMs: number }
  pricing: PriceBook | undefined
  artifactsDir: string | null
  onChanges(changes: JobChange[]): void
  onError(error: unknown, during: string): void
  onAttemptEnded?: ((attempt: AttemptEnded) => void) | undefined
  onFinished?: ((finished: FinishedJob[]) => void) | undefined
}

export function startBatchLane(deps: EngineLaneDeps): BatchLane {
  const { scheduler } = deps
  const lane = new BatchLane({
    store: deps.store,
    config: deps.config,
    owner: scheduler.owner,
    backoff: deps.backoff,
    pricing: deps.pricing,
    artifactsDir: deps.artifactsDir,
    resolve: (job) => scheduler.resolve(job),
    reserving: () => scheduler.reserving(),
    cacheKeyOf: (job) => scheduler.cacheKeyOf(job),
    cached: async (keys) => new Set((await deps.cache.find(keys)).keys()),
    // A profile whose key this engine cannot open is held here as a pause is: its batch is uploaded by an engine that can.
    held: (job) => scheduler.isPaused() || scheduler.gates.pausedFor(job),
    // The workers read at most every ten ticks (10 s by default): far more often than an engine is given up on.
    ownersGone: goneOwners(deps.workers, deps.config.tickMs * 10),
    apiFor: batchApiFor,
    unrecorded: new Map(),
    hooks: {
      onChanges: (changes) => {
        if (changes.length > 0) deps.onChanges(changes)
      },
      onError: deps.onError,
      onAttemptEnded: (attempt) => {
        // The breakers hear a line's outcome as they hear a real-time attempt's.
        scheduler.gates.finished(attempt.provider, attempt.outcome, attempt.endedAt)
        deps.onAttemptEnded?.(attempt)
      },
      onFinished: deps.onFinished,
    },
  })
  lane.start()
  return lane
}
