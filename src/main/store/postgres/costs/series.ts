/**
 * The dashboard's series on PostgreSQL: the rows of one range of the rollups' primary key, made
 * into points as the SQLite store makes them (store/sqlite/telemetry/series-points.ts). Sums
 * come back as double precision: pg gives numeric as text, and every count fits a double exactly.
 */
import type { Series, SeriesQuery } from '../../../../shared/costs'
import { depthPoints, mapMetrics, seriesWindow, usagePoints } from '../../sqlite/telemetry/series-points'
import type { Queryable } from '../transaction'

/** Every provider and model together: the bucket's all-providers row (provider ''), read as it is. */
export const SERIES_SQL = mapMetrics(
  (columns) => `SELECT bucket, ${columns.join(', ')} FROM usage_rollups
  WHERE resolution = $1 AND bucket >= $2 AND bucket < $3 AND provider = '' ORDER BY bucket`,
)

/** One provider or model: its rows of each bucket, summed. */
export const FILTERED_SERIES_SQL = mapMetrics(
  (columns) => `SELECT bucket, ${columns.map((c) => `sum(${c})::double precision`).join(', ')} FROM usage_rollups
  WHERE resolution = $1 AND bucket >= $2 AND bucket < $3 AND provider <> ''
  AND ($4::text IS NULL OR provider = $4) AND ($5::text IS NULL OR model = $5)
  GROUP BY bucket ORDER BY bucket`,
)

export const DEPTH_SQL = `SELECT bucket, samples, queued, delayed, active, completed, dead, cancelled, submitted FROM depth_samples
  WHERE resolution = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`

export async function readSeries(client: Queryable, query: SeriesQuery, now: number): Promise<Series> {
  const window = seriesWindow(query, now)
  const { width, first, until, count, answer } = window
  if (count === 0) return answer([])
  const read = async (text: string, values: unknown[]) => (await client.query<number[]>({ text, values, rowMode: 'array' })).rows
  const { metric } = query
  if (metric === 'depth') return answer(depthPoints(await read(DEPTH_SQL, [width, first, until])))
  const filtered = query.provider !== undefined || query.model !== undefined
  const rows = filtered
    ? await read(FILTERED_SERIES_SQL[metric], [width, first, until, query.provider ?? null, query.model ?? null])
    : await read(SERIES_SQL[metric], [width, first, until])
  return answer(usagePoints(metric, rows, window, now))
}
