/**
 * The dashboard's series, read from the rollups: one range of the primary key per call
 * (resolution, then bucket), in key order, so a series costs the rows of its range and
 * never a look at the jobs. Without a provider or model it reads each bucket's row for all
 * of them; with one, that provider's or model's rows, summed by bucket. Rates are per
 * second of the bucket (of the part already past, for the bucket still filling).
 */
import type { Database } from 'better-sqlite3'
import type { Series, SeriesQuery } from '../../../../shared/costs'
import { sql } from '../db/connection'
import { depthPoints, mapMetrics, seriesWindow, usagePoints } from './series-points'

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

export function readSeries(db: Database, query: SeriesQuery, now: number): Series {
  const window = seriesWindow(query, now)
  const { width, first, until, count, answer } = window
  if (count === 0) return answer([])
  const { metric } = query
  if (metric === 'depth') return answer(depthPoints(sql(db, DEPTH_SQL).raw().all({ width, first, until }) as number[][]))
  const filtered = query.provider !== undefined || query.model !== undefined
  const rows = (
    filtered
      ? sql(db, FILTERED_SERIES_SQL[metric])
          .raw()
          .all({ width, first, until, provider: query.provider ?? null, model: query.model ?? null })
      : sql(db, SERIES_SQL[metric]).raw().all({ width, first, until })
  ) as number[][]
  return answer(usagePoints(metric, rows, window, now))
}
