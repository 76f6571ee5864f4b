/**
 * What the store-wide metrics read, and the lease that says which engine exports them. A
 * queue store owns one (`store.metrics`): the totals are written by that store's own
 * enqueue, cancel and settle, so a second store (PostgreSQL) brings its own.
 */
import type { TotalMetric } from './metric-totals'

type Awaitable<T> = T | Promise<T>

/** The day rollups (kept for good) summed by the provider and model that ran: what settles recorded. */
export interface UsageTotal {
  provider: string
  model: string
  inputTokens: number
  outputTokens: number
  costUsd: number
}

/** A row of the store's own totals (telemetry/metric-totals.ts says what each metric keeps). */
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
