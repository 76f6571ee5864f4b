/**
 * The costs screen's pure parts: the ranges the since picker offers, a report as CSV
 * (through the one CSV writer, src/shared/csv.ts), and the report by day as the
 * chart's columns, with the days that had no usage filled in.
 */
import type { AlignedData } from 'uplot'
import { COST_TOKEN_COLUMNS, costTokenValues, type CostReport, type CostReportBy, type CostRow, type CostTotals } from '../../../../shared/costs'
import { roundUsd, toCsv, type CsvValue } from '../../../../shared/csv'

const DAY_MS = 86_400_000

export const SINCE_CHOICES = [
  { id: '24h', label: 'Last 24 hours', ms: DAY_MS },
  { id: '7d', label: 'Last 7 days', ms: 7 * DAY_MS },
  { id: '30d', label: 'Last 30 days', ms: 30 * DAY_MS },
] as const
export type SinceId = (typeof SINCE_CHOICES)[number]['id']

export const sinceMs = (id: SinceId): number => SINCE_CHOICES.find((choice) => choice.id === id)!.ms

export const BY_LABELS: Record<CostReportBy, string> = { provider: 'Provider', model: 'Model', day: 'Day (UTC)', batch: 'Batch', tag: 'Tag' }

const totalsColumns = (totals: CostTotals): CsvValue[] => [
  totals.attempts,
  ...costTokenValues(totals),
  totals.costUsd === null ? null : roundUsd(totals.costUsd),
  totals.unpricedAttempts,
]

/** The report as a spreadsheet reads it: a header, one line per row, and the total last. */
export function reportCsv(report: CostReport): string {
  const header = [report.by, 'label', 'attempts', ...COST_TOKEN_COLUMNS, 'cost_usd', 'unpriced_attempts']
  const rows = report.rows.map((row: CostRow) => [row.key, row.label, ...totalsColumns(row)])
  return toCsv([header, ...rows, ['total', null, ...totalsColumns(report.total)]])
}

export function csvFileName(by: CostReportBy, since: SinceId, now: Date): string {
  return `genops-costs-by-${by}-${since}-${now.toISOString().slice(0, 10)}.csv`
}

/** The UTC day a moment falls on, as the report keys days. */
export const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10)

/**
 * A report by day as uPlot's columns: x is each UTC day's start in seconds, from `since`'s
 * day to `until`'s, then USD and tokens (every class of input, and output). A day without usage is a zero;
 * a day whose usage has no price at all is a gap in USD, not a zero that would read as free.
 */
export function dailyColumns(report: CostReport): AlignedData {
  const byDay = new Map(report.rows.map((row) => [row.key, row]))
  const xs: number[] = []
  const usd: (number | null)[] = []
  const tokens: number[] = []
  for (let day = Date.parse(`${utcDay(report.since)}T00:00:00Z`); day <= report.until; day += DAY_MS) {
    const row = byDay.get(utcDay(day))
    xs.push(day / 1000)
    usd.push(row ? row.costUsd : 0)
    tokens.push(row ? row.inputTokens + row.cachedInputTokens + row.cacheWriteTokens + row.outputTokens : 0)
  }
  return [xs, usd, tokens]
}
