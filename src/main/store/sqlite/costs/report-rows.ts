/**
 * A cost report as both stores answer it: which rollups a range reads, the totals of a row of
 * sums, and the notes beside the rows. No SQL here; store/sqlite/costs/report.ts and
 * store/postgres/costs/report.ts run the statements.
 */
import { usd, type CostReport, type CostRow, type CostTotals, type Resolution } from '../../../../shared/costs'
import { bucketStart, keptFrom, widthOf } from '../../../telemetry/rollups'
import type { CostReportQuery } from '../../../costs/store'

/** attempts, input, output, cost, unpriced, cached, written: as the report statements select them. */
export type Sums = [attempts: number, input: number, output: number, cost: number, unpriced: number, cached: number, written: number]

/** The rollups a report reads: hours while the range is within their keep; days beyond, from the start of since's day. */
export function reportRange(since: number, until: number, now: number): { resolution: Resolution; width: number; first: number; until: number } {
  const resolution = since >= keptFrom('1h', now) ? '1h' : '1d'
  const width = widthOf(resolution)
  return { resolution, width, first: bucketStart(since, width), until }
}

export function totals([attempts, inputTokens, outputTokens, cost, unpriced, cached, written]: Sums): CostTotals {
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

export const toRow = ([key, label, ...sums]: [string | number, string | null, ...Sums]): CostRow => ({ key: String(key), label, ...totals(sums) })

export function sumOf(rows: CostRow[]): CostTotals {
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

/** What a report read: its rows and total, and the models that ran unpriced in the range ([kind, model, attempts]). */
export interface ReportReading {
  rows: CostRow[]
  total: CostTotals
  unpriced: [kind: string, model: string, attempts: number][]
}

/** The report with its notes: what the figures cover and what they leave out. */
export function reportOf({ by, since, until }: CostReportQuery, range: ReturnType<typeof reportRange>, { rows, total, unpriced }: ReportReading): CostReport {
  const notes: string[] = []
  if (by === 'batch') notes.push("a batch's figures are its whole total: every attempt of each batch that had one settle in the range")
  else {
    if (by === 'tag') notes.push('a job with several tags counts under each, so the rows can add up to more than the total')
    if (range.resolution === '1d') notes.push(`from the start of ${new Date(range.first).toISOString().slice(0, 10)} (UTC): older figures are kept by the day`)
  }
  if (by === 'day') notes.push('days are UTC days')
  for (const [kind, model, attempts] of unpriced) {
    const name = model === '' ? kind : `${kind}/${model}`
    notes.push(
      `${name}: ${attempts} attempt${attempts === 1 ? '' : 's'} used tokens of a model with no price (their tokens are counted, their cost left out); ` +
        `set one with \`genops costs price set ${kind} ${model || '<model>'} --input USD --output USD\` (per million tokens)`,
    )
  }
  if (total.unpricedAttempts > 0 && total.costUsd !== null) notes.push(`the total of ${usd(total.costUsd)} leaves out the unpriced attempts`)
  return { by, since, until, rows, total, notes }
}
