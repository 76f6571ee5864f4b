/**
 * What the store-wide metrics read, and the lease that says which engine exports them. A
 * queue store owns one (`store.metrics`): the totals are written by that store's own
 * enqueue, cancel and settle, so a second store (PostgreSQL) brings its own.
 */
import type { TotalMetric } from '../store/sqlite/telemetry/metric-totals'

type Awaitable<T> = T | Promise<T>

/** The day rollups (kept for good) summed by the provider and model that ran: what settles recorded. */
export interface UsageTotal {
  provider: string
  model: string
  /** Plain input; the prompt cache's classes beside it (shared/tokens), absent as 0. */
  inputTokens: number
  outputTokens: number
  cachedInputTokens?: number | undefined
  cacheWriteTokens?: number | undefined
  costUsd: number
}

/** The response cache's totals row (migration 0022): kept by the commits that add, hit and clear entries. */
export interface CacheTotals {
  entries: number
  bytes: number
  hits: number
  savedUsd: number
}

/** A row of the store's own totals (store/sqlite/telemetry/metric-totals.ts says what each metric keeps). */
export interface CountTotal {
  metric: TotalMetric
  provider: string
  model: string
  detail: string
  n: number
}

export interface StoreTotals {
  usage: UsageTotal[]
  counts: CountTotal[]
  /** Absent for a store that keeps no response cache. */
  cache?: CacheTotals | undefined
}

export interface MetricStore {
  /** Everything the store-wide counters show; a read of the totals and day rollups, never of the jobs. */
  totals(): Awaitable<StoreTotals>
  /**
   * Takes the exporter lease for `owner` until `until`, or renews it, unless another owner
   * holds it past `now`; true when `owner` holds it afterwards.
   */
  takeExporterLease(owner: string, now: number, until: number): Awaitable<boolean>
  /** Gives the lease up, if `owner` holds it, so another engine takes it at once. */
  releaseExporterLease(owner: string): Awaitable<void>
}
