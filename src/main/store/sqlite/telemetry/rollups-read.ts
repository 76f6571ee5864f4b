/**
 * The dashboard's series, read from the rollups: one range of the primary key per call
 * (resolution, then bucket), in key order, so a series costs the rows of its range and
 * never a look at the jobs. Without a provider or model it reads each bucket's row for all
 * of them; with one, that provider's or model's rows, summed by bucket. Rates are per
 * second of the bucket (of the part already past, for the bucket still filling).
 */
import type { Database } from 'better-sqlite3'
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
import { sql } from '../db/connection'
import { bucketStart, keptFrom, LATENCY_COLUMNS, percentiles } from '../../../telemetry/rollups'

const QUANTILES = [0.5, 0.95, 0.99]

type UsageMetric = Exclude<SeriesMetric, 'depth'>

/** The columns each usage metric reads: only the sums it needs. */
const COLUMNS: Record<UsageMetric, readonly string[]> = {
  throughput: ['completed', 'failed', 'dead'],
  tokens: ['input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens'],
  cost: ['cost_usd', 'unpriced'],
  latency: LATENCY_COLUMNS,
}

const mapMetrics = (text: (columns: readonly string[]) => string) =>
  Object.fromEntries(Object.entries(COLUMNS).map(([metric, columns]) => [metric, text(columns)])) as Record<UsageMetric, string>

/** Every provider and model together: the bucket's all-providers row (provider ''), read as it is. */
export const SERIES_SQL = mapMetrics(
  (columns) => `SELECT bucket, ${columns.join(', ')} FROM usage_rollups
  WHERE resolution = @width AND bucket >= @first AND bucket < @until AND provider = '' ORDER BY bucket`,
)

/** One provider or model: its rows of each bucket, summed. */
export const FILTERED_SERIES_SQL = mapMetrics(
  (columns) => `SELECT bucket, ${columns.map((c) => `sum(${c})`).join(', ')} FROM usage_rollups
  WHERE resolution = @width AND bucket >= @first AND bucket < @until AND provider <> ''
  AND (@provider IS NULL OR provider = @provider) AND (@model IS NULL OR model = @model)
  GROUP BY bucket ORDER BY bucket`,
)

export const DEPTH_SQL = `SELECT bucket, samples, queued, delayed, active, completed, dead, cancelled, submitted FROM depth_samples
  WHERE resolution = @width AND bucket >= @first AND bucket < @until ORDER BY bucket`

const round = (value: number, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits

export function readSeries(db: Database, query: SeriesQuery, now: number): Series {
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
  const answer = (points: SeriesPoint[]): Series => ({ metric, resolution, since: first, until, unit: SERIES_FIELDS[metric].unit, points })
  if (count === 0) return answer([])

  if (metric === 'depth') {
    if (query.provider !== undefined || query.model !== undefined)
      throw new OperationError('INVALID_INPUT', 'series: queue depth is queue-wide: it takes no provider or model')
    const rows = sql(db, DEPTH_SQL).raw().all({ width, first, until }) as number[][]
    // Only sampled buckets: no sample means no running engine, not an empty queue.
    return answer(
      rows.map(([t, samples, ...sums]) => {
        const point: SeriesPoint = { t: t! }
        SERIES_FIELDS.depth.fields.forEach((field, i) => (point[field] = round(sums[i]! / samples!, 2)))
        return point
      }),
    )
  }

  const filtered = query.provider !== undefined || query.model !== undefined
  const rows = (
    filtered
      ? sql(db, FILTERED_SERIES_SQL[metric])
          .raw()
          .all({ width, first, until, provider: query.provider ?? null, model: query.model ?? null })
      : sql(db, SERIES_SQL[metric]).raw().all({ width, first, until })
  ) as number[][]
  const byBucket = new Map(rows.map((row) => [row[0]!, row]))
  const points: SeriesPoint[] = []
  for (let t = first; t < until; t += width) {
    // The bucket still filling is measured over the part of it already past.
    const seconds = Math.max(1, Math.min(width, now - t)) / 1000
    const row = byBucket.get(t)
    points.push(pointOf(metric, t, row, seconds))
  }
  return answer(points)
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
