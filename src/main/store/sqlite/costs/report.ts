/**
 * Cost reports. By provider, model and day they read the rollups (hourly ones while the
 * range is within their 90 days, daily ones beyond), so they cover every attempt ever
 * settled, pruned jobs included; by tag, the tag rollups the same way. By batch they read
 * each batch's running totals.
 */
import type { Database } from 'better-sqlite3'
import type { CostReport, CostRow } from '../../../../shared/costs'
import { sql } from '../db/connection'
import { DAY_WIDTH } from '../../../telemetry/rollups'
import type { CostReportQuery } from '../../../costs/store'
import { reportOf, reportRange, sumOf, toRow, totals, type Sums } from './report-rows'

const SUMS = 'sum(attempts), sum(input_tokens), sum(output_tokens), sum(cost_usd), sum(unpriced), sum(cached_input_tokens), sum(cache_write_tokens)'
// Each provider's and model's rows; the bucket's row for all of them (provider '') is the total.
const ROLLUP_RANGE = `FROM usage_rollups WHERE resolution = @width AND bucket >= @first AND bucket < @until AND provider <> ''`

/** The statements of the reports read from rollups, by what they group on. */
export const REPORT_SQL = {
  provider: `SELECT provider, group_concat(DISTINCT provider_kind), ${SUMS} ${ROLLUP_RANGE} GROUP BY provider ORDER BY sum(cost_usd) DESC, provider`,
  model: `SELECT provider_kind || '/' || iif(model = '', '(no model)', model), NULL, ${SUMS} ${ROLLUP_RANGE}
    GROUP BY provider_kind, model ORDER BY sum(cost_usd) DESC, 1`,
  day: `SELECT strftime('%Y-%m-%d', bucket / 1000, 'unixepoch'), NULL, ${SUMS} ${ROLLUP_RANGE} GROUP BY bucket / ${DAY_WIDTH} ORDER BY 1`,
  total: `SELECT ${SUMS} FROM usage_rollups WHERE resolution = @width AND bucket >= @first AND bucket < @until AND provider = ''`,
  unpriced: `SELECT provider_kind, model, sum(unpriced) ${ROLLUP_RANGE} GROUP BY provider_kind, model HAVING sum(unpriced) > 0`,
} as const

export const BATCH_REPORT = `SELECT id, name, attempts, input_tokens, output_tokens, cost_usd, unpriced_attempts, cached_input_tokens, cache_write_tokens
  FROM batches INDEXED BY batches_by_settled
  WHERE settled_at >= @since AND created_at < @until ORDER BY id`

/** Each tag's rows of the range (a job with several tags counts under each; with none, under '(no tag)'). */
export const TAG_REPORT = `SELECT tag, NULL, ${SUMS} FROM tag_rollups WHERE resolution = @width AND bucket >= @first AND bucket < @until
  GROUP BY tag ORDER BY sum(cost_usd) DESC, tag`

export function costReport(db: Database, query: CostReportQuery, now: number): CostReport {
  const { by, since, until } = query
  const range = reportRange(since, until, now)
  const bounds = { width: range.width, first: range.first, until }
  let rows: CostRow[]
  if (by === 'batch') {
    rows = (sql(db, BATCH_REPORT).raw().all({ since, until }) as [number, string, ...Sums][]).map(([id, name, ...sums]) => toRow([id, name, ...sums]))
  } else
    rows = (
      sql(db, by === 'tag' ? TAG_REPORT : REPORT_SQL[by])
        .raw()
        .all(bounds) as [string, string | null, ...Sums][]
    ).map(toRow)
  const total = by === 'batch' ? sumOf(rows) : totals(sql(db, REPORT_SQL.total).raw().get(bounds) as Sums)
  const unpriced = sql(db, REPORT_SQL.unpriced).raw().all(bounds) as [string, string, number][]
  return reportOf(query, range, { rows, total, unpriced })
}
