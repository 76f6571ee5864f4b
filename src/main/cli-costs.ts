/**
 * `genops costs`: what the queue's attempts cost, by provider, model, day, batch or tag
 * (as a table, JSON or CSV); the prices behind it (`costs price`); and budgets per day or
 * batch that alert or pause when crossed (`costs budget`).
 */
import { type Command, InvalidArgumentError, Option } from 'commander'
import { COST_REPORT_BY, usd, type Budget, type CostReport, type CostReportBy, type CostTotals, type Price } from '../shared/costs'
import { roundUsd, toCsv } from '../shared/csv'
import { parseDuration } from '../shared/duration'
import { table, time } from './cli-format'
import { CliError, common, integer, print, printJson, withQueue, type Common } from './cli-support'

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

function money(name: string) {
  return (text: string): number => {
    const value = Number(text.replace(/^\$/, ''))
    if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`${name} must be an amount in USD, like 2.50`)
    return value
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
    count(totals.outputTokens),
    costCell(totals),
  ]
  const lines = [head, '']
  if (report.rows.length === 0) lines.push('no attempts in this range')
  else
    lines.push(
      table([
        [keyTitle, ...(labelTitle ? [labelTitle] : []), 'ATTEMPTS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST'],
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
    [keyTitle.toLowerCase(), ...(labelTitle ? [labelTitle.toLowerCase()] : []), 'attempts', 'input_tokens', 'output_tokens', 'cost_usd', 'unpriced_attempts'],
    ...report.rows.map((row) => [
      row.key,
      ...(labelTitle ? [row.label] : []),
      row.attempts,
      row.inputTokens,
      row.outputTokens,
      row.costUsd === null ? null : roundUsd(row.costUsd),
      row.unpricedAttempts,
    ]),
  ])
}

export function formatPrices(prices: Price[]): string {
  if (prices.length === 0) return 'no prices'
  return table([
    ['PROVIDER', 'MODEL', 'INPUT $/M', 'OUTPUT $/M', 'AS OF', 'SOURCE'],
    ...prices.map((p) => [p.provider, p.model, String(p.inputPerMillion), String(p.outputPerMillion), p.asOf, p.source]),
  ])
}

export function formatBudgets(budgets: Budget[]): string {
  if (budgets.length === 0) return 'no budgets: set one with `genops costs budget set --day USD` or `--batch ID --usd USD`'
  return table([
    ['BUDGET', 'LIMIT', 'SPENT', 'ACTION', 'CROSSED'],
    ...budgets.map((b) => [
      b.scope === 'day' ? 'day (UTC)' : `batch ${b.batchId}`,
      usd(b.limitUsd),
      usd(b.spentUsd),
      b.action,
      b.crossedAt === null ? '-' : time(b.crossedAt),
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

  const budget = costs
    .command('budget')
    .description('budgets per UTC day or per batch: a notice when crossed, and with --action pause the queue or batch stops')
  common(budget.command('list').description('budgets, what has been spent against them, and whether they were crossed'), true).action(
    async (options: Common) => {
      const { budgets } = await withQueue(options, (h) => h.listBudgets({}))
      if (options.json) printJson(budgets)
      else print(formatBudgets(budgets))
    },
  )
  common(budget.command('set').description('set the day budget (--day USD) or a batch budget (--batch ID --usd USD)'))
    .option('--day <usd>', 'the budget for each UTC day, in USD', money('--day'))
    .option('--batch <id>', 'the batch this budget is for', integer('--batch', 1))
    .option('--usd <usd>', "the batch's budget, in USD", money('--usd'))
    .addOption(
      new Option('--action <action>', 'alert: a notice; pause: a notice and the queue (day) or batch stops').choices(['alert', 'pause']).default('alert'),
    )
    .action(async (options: Common & { day?: number; batch?: number; usd?: number; action: 'alert' | 'pause' }) => {
      if ((options.day === undefined) === (options.batch === undefined)) throw new CliError('give --day USD, or --batch ID with --usd USD', 2)
      if (options.batch !== undefined && options.usd === undefined) throw new CliError('a batch budget needs --usd', 2)
      if (options.day !== undefined && options.usd !== undefined) throw new CliError('the day budget is --day USD; --usd goes with --batch', 2)
      const limitUsd = options.day ?? options.usd!
      const saved = await withQueue(options, (h) =>
        h.setBudget(
          options.day !== undefined
            ? { scope: 'day', limitUsd, action: options.action }
            : { scope: 'batch', batchId: options.batch, limitUsd, action: options.action },
        ),
      )
      const what = saved.scope === 'day' ? 'day budget' : `batch ${saved.batchId} budget`
      print(
        `${what}: ${usd(saved.limitUsd)}, ${saved.action === 'pause' ? 'pauses when crossed' : 'alerts when crossed'} (${usd(saved.spentUsd)} spent so far)`,
      )
    })
  common(budget.command('remove').description('remove the day budget (--day) or a batch budget (--batch ID)'))
    .option('--day', 'the day budget')
    .option('--batch <id>', 'the batch budget of this batch', integer('--batch', 1))
    .action(async (options: Common & { day?: boolean; batch?: number }) => {
      if (Boolean(options.day) === (options.batch !== undefined)) throw new CliError('give --day or --batch ID', 2)
      const { removed } = await withQueue(options, (h) => h.removeBudget(options.day ? { scope: 'day' } : { scope: 'batch', batchId: options.batch }))
      if (!removed) throw new CliError(options.day ? 'no day budget' : `no budget for batch ${options.batch}`)
      print(options.day ? 'day budget removed' : `batch ${options.batch} budget removed`)
    })
}
