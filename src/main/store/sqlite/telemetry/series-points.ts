/**
 * A series as both stores answer it: the window a query asks for (checked against what the
 * resolution keeps and the most points a series gives), the columns each metric reads, and
 * the points made from the rows read. No SQL here; store/sqlite/telemetry/rollups-read.ts and
 * store/postgres/costs/series.ts read the rows.
 */
import {
  MAX_SERIES_POINTS,
  RESOLUTION_DEFAULT_WINDOW_MS,
  RESOLUTION_MS,
  SERIES_FIELDS,
  type Series,
  type SeriesMetric,
  type SeriesPoint,
  type SeriesQuery,
} from '../../../../shared/costs'
import { OperationError } from '../../../../shared/contract'
import { bucketStart, keptFrom, LATENCY_COLUMNS, percentiles } from '../../../telemetry/rollups'

const QUANTILES = [0.5, 0.95, 0.99]

export type UsageMetric = Exclude<SeriesMetric, 'depth'>

/** The columns each usage metric reads: only the sums it needs. */
export const SERIES_COLUMNS: Record<UsageMetric, readonly string[]> = {
  throughput: ['completed', 'failed', 'dead'],
  tokens: ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens'],
  cost: ['cost_usd', 'unpriced'],
  latency: LATENCY_COLUMNS,
}

/** A statement for each usage metric, from its columns. */
export const mapMetrics = (text: (columns: readonly string[]) => string) =>
  Object.fromEntries(Object.entries(SERIES_COLUMNS).map(([metric, columns]) => [metric, text(columns)])) as Record<UsageMetric, string>

/** The buckets a query covers: `first` to `until`, `width` apart; `answer` wraps its points. */
export interface SeriesWindow {
  width: number
  first: number
  until: number
  count: number
  answer(points: SeriesPoint[]): Series
}

export function seriesWindow(query: SeriesQuery, now: number): SeriesWindow {
  const { metric, resolution } = query
  const width = RESOLUTION_MS[resolution]
  const until = query.until ?? now
  // Buckets pruned away are not zeros: the answer starts where the resolution is still kept.
  const since = Math.max(query.since ?? until - RESOLUTION_DEFAULT_WINDOW_MS[resolution], keptFrom(resolution, now))
  const first = bucketStart(since, width)
  const count = until > first ? Math.ceil((until - first) / width) : 0
  if (count > MAX_SERIES_POINTS) {
    throw new OperationError(
      'INVALID_INPUT',
      `series: ${count} points of ${resolution} from ${new Date(first).toISOString()}; at most ${MAX_SERIES_POINTS}: narrow since/until or take a coarser resolution`,
    )
  }
  if (count > 0 && metric === 'depth' && (query.provider !== undefined || query.model !== undefined))
    throw new OperationError('INVALID_INPUT', 'series: queue depth is queue-wide: it takes no provider or model')
  return { width, first, until, count, answer: (points) => ({ metric, resolution, since: first, until, unit: SERIES_FIELDS[metric].unit, points }) }
}

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits

/** Depth rows ([bucket, samples, ...sums by state]) as points: only sampled buckets, since no sample means no running engine, not an empty queue. */
export function depthPoints(rows: number[][]): SeriesPoint[] {
  return rows.map(([t, samples, ...sums]) => {
    const point: SeriesPoint = { t: t! }
    SERIES_FIELDS.depth.fields.forEach((field, i) => (point[field] = round(sums[i]! / samples!, 2)))
    return point
  })
}

/** Usage rows ([bucket, ...the metric's columns]) as a point for every bucket of the window, rates per second of the bucket. */
export function usagePoints(metric: UsageMetric, rows: number[][], { first, until, width }: SeriesWindow, now: number): SeriesPoint[] {
  const byBucket = new Map(rows.map((row) => [row[0]!, row]))
  const points: SeriesPoint[] = []
  for (let t = first; t < until; t += width) {
    // The bucket still filling is measured over the part of it already past.
    const seconds = Math.max(1, Math.min(width, now - t)) / 1000
    points.push(pointOf(metric, t, byBucket.get(t), seconds))
  }
  return points
}

function pointOf(metric: UsageMetric, t: number, row: number[] | undefined, seconds: number): SeriesPoint {
  const v = (i: number) => row?.[i] ?? 0
  switch (metric) {
    case 'throughput':
      return { t, completedPerSecond: round(v(1) / seconds), failedPerSecond: round((v(2) + v(3)) / seconds), deadPerSecond: round(v(3) / seconds) }
    case 'tokens':
      return {
        t,
        inputPerSecond: round(v(1) / seconds),
        outputPerSecond: round(v(2) / seconds),
        cachedInputPerSecond: round(v(3) / seconds),
        cacheWritePerSecond: round(v(4) / seconds),
      }
    case 'cost':
      return { t, usdPerHour: round((v(1) * 3600) / seconds, 6), usd: round(v(1), 6), unpricedAttempts: v(2) }
    case 'latency': {
      const counts = row ? row.slice(1) : []
      const [p50, p95, p99] = percentiles(counts, QUANTILES).map((value) => (value === null ? null : round(value, 2)))
      return { t, p50Ms: p50!, p95Ms: p95!, p99Ms: p99!, completed: counts.reduce((sum, n) => sum + n, 0) }
    }
  }
}
