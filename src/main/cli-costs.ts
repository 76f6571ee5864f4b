/**
 * `genops costs`: what the queue's attempts cost, by provider, model, day, batch or tag
 * (as a table, JSON or CSV); the prices behind it (`costs price`); and budgets (`costs budget`,
 * cli-budgets.ts).
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import { COST_REPORT_BY, COST_TOKEN_COLUMNS, costTokenValues, usd, type CostReport, type CostReportBy, type CostTotals, type Price } from '../shared/costs'
import { roundUsd, toCsv } from '../shared/csv'
import { parseDuration } from '../shared/duration'
import { addBudgetCommands } from './cli-budgets'
import { table, time } from './cli-format'
import { CliError, common, money, print, printJson, withQueue, type Common } from './cli-support'

/** `7d` (that long ago) or a date or time (`2026-11-01`, `2026-11-01T12:00Z`). */
export function pointInTime(name: string, now = Date.now()) {
  return (text: string): number => {
    if (/^\d{4}-\d\d-\d\d/.test(text)) {
      const at = Date.parse(text)
      if (Number.isNaN(at)) throw new InvalidArgumentError(`${name}: "${text}" is not a date`)
      return at
    }
    try {
      return now - parseDuration(text)
    } catch (error) {
      throw new InvalidArgumentError(`${name}: ${(error as Error).message}, or a date like 2026-11-01`)
    }
  }
}

const count = (n: number) => n.toLocaleString('en-US')

function costCell(totals: CostTotals): string {
  const cost = usd(totals.costUsd)
  return totals.unpricedAttempts > 0 && totals.costUsd !== null ? `${cost} + ${totals.unpricedAttempts} unpriced` : cost
}

const KEY_TITLE: Record<CostReportBy, [string, string | null]> = {
  provider: ['PROVIDER', 'KIND'],
  model: ['MODEL', null],
  day: ['DAY', null],
  batch: ['BATCH', 'NAME'],
  tag: ['TAG', null],
}

export function formatCostReport(report: CostReport): string {
  const [keyTitle, labelTitle] = KEY_TITLE[report.by]
  const head = `costs by ${report.by}, ${time(report.since)} to ${time(report.until)} UTC`
  const label = (value: string | null) => (labelTitle ? [value ?? '-'] : [])
  const line = (key: string, labelValue: string | null, totals: CostTotals) => [
    key,
    ...label(labelValue),
    count(totals.attempts),
    count(totals.inputTokens),
    count(totals.cachedInputTokens),
    count(totals.cacheWriteTokens),
    count(totals.outputTokens),
    costCell(totals),
  ]
  const lines = [head, '']
  if (report.rows.length === 0) lines.push('no attempts in this range')
  else
    lines.push(
      table([
        [keyTitle, ...(labelTitle ? [labelTitle] : []), 'ATTEMPTS', 'INPUT TOKENS', 'CACHED INPUT', 'CACHE WRITE', 'OUTPUT TOKENS', 'COST'],
        ...report.rows.map((row) => line(row.key, row.label, row)),
        line('TOTAL', '', report.total),
      ]),
    )
  if (report.notes.length > 0) lines.push('', 'notes:', ...report.notes.map((note) => `  - ${note}`))
  return lines.join('\n')
}

export function costReportCsv(report: CostReport): string {
  const [keyTitle, labelTitle] = KEY_TITLE[report.by]
  return toCsv([
    [keyTitle.toLowerCase(), ...(labelTitle ? [labelTitle.toLowerCase()] : []), 'attempts', ...COST_TOKEN_COLUMNS, 'cost_usd', 'unpriced_attempts'],
    ...report.rows.map((row) => [
      row.key,
      ...(labelTitle ? [row.label] : []),
      row.attempts,
      ...costTokenValues(row),
      row.costUsd === null ? null : roundUsd(row.costUsd),
      row.unpricedAttempts,
    ]),
  ])
}

export function formatPrices(prices: Price[]): string {
  if (prices.length === 0) return 'no prices'
  return table([
    ['PROVIDER', 'MODEL', 'INPUT $/M', 'CACHED IN $/M', 'CACHE WRITE $/M', 'OUTPUT $/M', 'AS OF', 'SOURCE'],
    // A class a price does not name is charged as plain input.
    ...prices.map((p) => [
      p.provider,
      p.model,
      String(p.inputPerMillion),
      String(p.cachedInputPerMillion ?? 'as input'),
      String(p.cacheWritePerMillion ?? 'as input'),
      String(p.outputPerMillion),
      p.asOf,
      p.source,
    ]),
  ])
}

interface ReportOptions extends Common {
  since?: number
  until?: number
  by: CostReportBy
  csv?: boolean
}

export function addCostCommands(program: Command): void {
  const costs = program.command('costs').description('what attempts cost (`costs [report]`), the prices behind it (`costs price`) and budgets (`costs budget`)')
  // The report is the default subcommand, so `genops costs --by model` works and its options are its own (not the group's).
  common(
    costs
      .command('report', { isDefault: true })
      .description('attempts, tokens and cost by provider, model, day, batch or tag')
      .option('--since <when>', 'from this long ago (7d, 12h) or this date (2026-11-01); default 7d', pointInTime('--since'))
      .option('--until <when>', 'up to this long ago or this date; default now', pointInTime('--until'))
      .addOption(new Option('--by <what>', 'group by').choices(COST_REPORT_BY).default('provider'))
      .option('--csv', 'print CSV (the notes go to stderr)'),
    true,
  ).action(async (options: ReportOptions) => {
    if (options.csv && options.json) throw new CliError('give --csv or --json, not both', 2)
    const report = await withQueue(options, (h) => h.costReport({ by: options.by, since: options.since, until: options.until }))
    if (options.json) printJson(report)
    else if (options.csv) {
      process.stdout.write(costReportCsv(report))
      for (const note of report.notes) process.stderr.write(`note: ${note}\n`)
    } else print(formatCostReport(report))
  })

  const price = costs.command('price').description('the prices that turn tokens into cost: resources/pricing.json under your overrides')
  common(price.command('list').description('every price in use, overrides first'), true).action(async (options: Common) => {
    const { prices } = await withQueue(options, (h) => h.listPrices({}))
    if (options.json) printJson(prices)
    else print(formatPrices(prices))
  })
  common(price.command('set').description('set a price in USD per million tokens; MODEL "*" prices every other model of the provider'))
    .argument('<provider>', 'a provider kind (openai, anthropic, local, sim) or a profile name')
    .argument('<model>', 'a model name, or "*"')
    .requiredOption('--input <usd>', 'USD per million input tokens', money('--input'))
    .requiredOption('--output <usd>', 'USD per million output tokens', money('--output'))
    .action(async (provider: string, model: string, options: Common & { input: number; output: number }) => {
      const saved = await withQueue(options, (h) => h.setPrice({ provider, model, inputPerMillion: options.input, outputPerMillion: options.output }))
      print(`${saved.provider} ${saved.model}: $${saved.inputPerMillion} input, $${saved.outputPerMillion} output per million tokens`)
    })
  common(price.command('remove').description('remove an override (the list price, if any, applies again)'))
    .argument('<provider>')
    .argument('<model>')
    .action(async (provider: string, model: string, options: Common) => {
      const { removed } = await withQueue(options, (h) => h.removePrice({ provider, model }))
      if (!removed) throw new CliError(`no override for ${provider} ${model}`)
      print(`${provider} ${model}: override removed`)
    })

  addBudgetCommands(costs)
}
