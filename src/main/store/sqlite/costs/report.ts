/**
 * Cost reports. By provider, model and day they read the rollups (hourly ones while the
 * range is within their 90 days, daily ones beyond), so they cover every attempt ever
 * settled, pruned jobs included; by tag, the tag rollups the same way. By batch they read
 * each batch's running totals.
 */
import type { Database } from 'better-sqlite3'
import { usd, type CostReport, type CostRow, type CostTotals } from '../../../../shared/costs'
import { sql } from '../db/connection'
import { bucketStart, DAY_WIDTH, keptFrom, widthOf } from '../../../telemetry/rollups'
import type { CostReportQuery } from '../../../costs/store'

type Sums = [attempts: number, input: number, output: number, cost: number, unpriced: number, cached: number, written: number]
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

function totals([attempts, inputTokens, outputTokens, cost, unpriced, cached, written]: Sums): CostTotals {
  return {
    attempts: attempts ?? 0,
    inputTokens: inputTokens ?? 0,
    cachedInputTokens: cached ?? 0,
    cacheWriteTokens: written ?? 0,
    outputTokens: outputTokens ?? 0,
    // Nothing priced but tokens used: no cost is known, which is not a cost of zero.
    costUsd: (unpriced ?? 0) > 0 && !cost ? null : (cost ?? 0),
    unpricedAttempts: unpriced ?? 0,
  }
}

const toRow = ([key, label, ...sums]: [string | number, string | null, ...Sums]): CostRow => ({ key: String(key), label, ...totals(sums) })

export function costReport(db: Database, { by, since, until }: CostReportQuery, now: number): CostReport {
  // Hours while the range is within their keep; days beyond, from the start of since's day.
  const resolution = since >= keptFrom('1h', now) ? '1h' : '1d'
  const width = widthOf(resolution)
  const range = { width, first: bucketStart(since, width), until }
  const notes: string[] = []
  let rows: CostRow[]
  let total: CostTotals
  if (by === 'batch') {
    rows = (sql(db, BATCH_REPORT).raw().all({ since, until }) as [number, string, ...Sums][]).map(([id, name, ...sums]) => toRow([id, name, ...sums]))
    total = sumOf(rows)
    notes.push("a batch's figures are its whole total: every attempt of each batch that had one settle in the range")
  } else {
    const report = by === 'tag' ? TAG_REPORT : REPORT_SQL[by]
    rows = (sql(db, report).raw().all(range) as [string, string | null, ...Sums][]).map(toRow)
    total = totals(sql(db, REPORT_SQL.total).raw().get(range) as Sums)
    if (by === 'tag') notes.push('a job with several tags counts under each, so the rows can add up to more than the total')
    if (resolution === '1d') notes.push(`from the start of ${new Date(range.first).toISOString().slice(0, 10)} (UTC): older figures are kept by the day`)
  }
  if (by === 'day') notes.push('days are UTC days')
  for (const [kind, model, attempts] of sql(db, REPORT_SQL.unpriced).raw().all(range) as [string, string, number][]) {
    const name = model === '' ? kind : `${kind}/${model}`
    notes.push(
      `${name}: ${attempts} attempt${attempts === 1 ? '' : 's'} used tokens of a model with no price (their tokens are counted, their cost left out); ` +
        `set one with \`genops costs price set ${kind} ${model || '<model>'} --input USD --output USD\` (per million tokens)`,
    )
  }
  if (total.unpricedAttempts > 0 && total.costUsd !== null) notes.push(`the total of ${usd(total.costUsd)} leaves out the unpriced attempts`)
  return { by, since, until, rows, total, notes }
}

function sumOf(rows: CostRow[]): CostTotals {
  const sum = (pick: (row: CostRow) => number) => rows.reduce((acc, row) => acc + pick(row), 0)
  const unpriced = sum((row) => row.unpricedAttempts)
  const cost = sum((row) => row.costUsd ?? 0)
  return {
    attempts: sum((row) => row.attempts),
    inputTokens: sum((row) => row.inputTokens),
    cachedInputTokens: sum((row) => row.cachedInputTokens),
    cacheWriteTokens: sum((row) => row.cacheWriteTokens),
    outputTokens: sum((row) => row.outputTokens),
    costUsd: unpriced > 0 && !cost ? null : cost,
    unpricedAttempts: unpriced,
  }
}
