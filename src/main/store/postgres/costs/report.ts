/**
 * Cost reports on PostgreSQL, as store/sqlite/costs/report.ts answers them: by provider, model,
 * day and tag from the rollups (hours within their keep, days beyond), by batch from each
 * batch's running totals. Sums of bigint columns are cast back to bigint (pg gives numeric as
 * text); text is ordered bytewise, as SQLite orders it.
 */
import type { CostReport, CostRow } from '../../../../shared/costs'
import { DAY_WIDTH } from '../../../telemetry/rollups'
import type { CostReportQuery } from '../../../costs/store'
import { reportOf, reportRange, sumOf, toRow, totals, type Sums } from '../../sqlite/costs/report-rows'
import type { Queryable } from '../transaction'

const SUMS = `sum(attempts)::bigint, sum(input_tokens)::bigint, sum(output_tokens)::bigint, sum(cost_usd), sum(unpriced)::bigint,
  sum(cached_input_tokens)::bigint, sum(cache_write_tokens)::bigint`
// Each provider's and model's rows; the bucket's row for all of them (provider '') is the total.
const ROLLUP_RANGE = `FROM usage_rollups WHERE resolution = $1 AND bucket >= $2 AND bucket < $3 AND provider <> ''`

const MODEL_KEY = `(provider_kind || '/' || CASE WHEN model = '' THEN '(no model)' ELSE model END)`

export const REPORT_SQL = {
  provider: `SELECT provider, string_agg(DISTINCT provider_kind, ',' ORDER BY provider_kind), ${SUMS} ${ROLLUP_RANGE}
    GROUP BY provider ORDER BY sum(cost_usd) DESC, provider COLLATE "C"`,
  model: `SELECT ${MODEL_KEY}, NULL, ${SUMS} ${ROLLUP_RANGE} GROUP BY provider_kind, model ORDER BY sum(cost_usd) DESC, ${MODEL_KEY} COLLATE "C"`,
  day: `SELECT to_char(to_timestamp(bucket / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, NULL, ${SUMS} ${ROLLUP_RANGE}
    GROUP BY bucket / ${DAY_WIDTH}, day ORDER BY day`,
  total: `SELECT ${SUMS} FROM usage_rollups WHERE resolution = $1 AND bucket >= $2 AND bucket < $3 AND provider = ''`,
  unpriced: `SELECT provider_kind, model, sum(unpriced)::bigint ${ROLLUP_RANGE}
    GROUP BY provider_kind, model HAVING sum(unpriced) > 0 ORDER BY provider_kind COLLATE "C", model COLLATE "C"`,
} as const

export const BATCH_REPORT = `SELECT id, name, attempts, input_tokens, output_tokens, cost_usd, unpriced_attempts, cached_input_tokens, cache_write_tokens
  FROM batches WHERE settled_at >= $1 AND created_at < $2 ORDER BY id`

export const TAG_REPORT = `SELECT tag, NULL, ${SUMS} FROM tag_rollups WHERE resolution = $1 AND bucket >= $2 AND bucket < $3
  GROUP BY tag ORDER BY sum(cost_usd) DESC, tag COLLATE "C"`

async function rowsOf<T extends unknown[]>(client: Queryable, text: string, values: unknown[]): Promise<T[]> {
  return (await client.query<T>({ text, values, rowMode: 'array' })).rows
}

export async function costReport(client: Queryable, query: CostReportQuery, now: number): Promise<CostReport> {
  const { by, since, until } = query
  const range = reportRange(since, until, now)
  const bounds = [range.width, range.first, until]
  let rows: CostRow[]
  if (by === 'batch') {
    rows = (await rowsOf<[number, string, ...Sums]>(client, BATCH_REPORT, [since, until])).map(([id, name, ...sums]) => toRow([id, name, ...sums]))
  } else rows = (await rowsOf<[string, string | null, ...Sums]>(client, by === 'tag' ? TAG_REPORT : REPORT_SQL[by], bounds)).map(toRow)
  const total = by === 'batch' ? sumOf(rows) : totals((await rowsOf<Sums>(client, REPORT_SQL.total, bounds))[0]!)
  const unpriced = await rowsOf<[string, string, number]>(client, REPORT_SQL.unpriced, bounds)
  return reportOf(query, range, { rows, total, unpriced })
}
