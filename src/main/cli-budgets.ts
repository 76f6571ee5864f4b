/**
 * `genops costs budget`: budgets per UTC day, batch, provider kind or profile, in USD or
 * tokens; they tell at 50, 80 and 100 %, and with `--action pause` no attempt starts that
 * could take one past its limit (costs/budget-gate.ts).
 */
import { type Command, Option } from 'commander'
import { describeZodError } from '../shared/contract'
import { BUDGET_UNITS, budgetAmount, budgetName, BudgetInput, type Budget, type BudgetUnit } from '../shared/costs'
import { table, time } from './cli-format'
import { CliError, common, integer, money, print, printJson, withQueue, type Common } from './cli-support'

export function formatBudgets(budgets: Budget[]): string {
  if (budgets.length === 0)
    return 'no budgets: set one with `genops costs budget set --day --usd 5` (or --batch ID, --provider KIND, --profile NAME; --tokens N)'
  return table([
    ['BUDGET', 'LIMIT', 'SPENT', 'RESERVED', 'ACTION', 'REACHED'],
    ...budgets.map((b) => [
      budgetName(b),
      budgetAmount(b.unit, b.limit),
      budgetAmount(b.unit, b.spent),
      budgetAmount(b.unit, b.reserved),
      b.action,
      b.crossedAt === null ? '-' : time(b.crossedAt),
    ]),
  ])
}

interface ScopeOptions extends Common {
  day?: boolean | number
  batch?: number
  provider?: string
  profile?: string
}

/** The one scope the options name; `--day 5` (an amount) is the older spelling of `--day --usd 5`. */
function scopeOf(options: ScopeOptions): { scope: Budget['scope']; batchId?: number; target?: string } {
  const given = [options.day !== undefined, options.batch !== undefined, options.provider !== undefined, options.profile !== undefined]
  if (given.filter(Boolean).length !== 1) throw new CliError('name one budget: --day, --batch ID, --provider KIND or --profile NAME', 2)
  if (options.batch !== undefined) return { scope: 'batch', batchId: options.batch }
  if (options.provider !== undefined) return { scope: 'provider', target: options.provider }
  if (options.profile !== undefined) return { scope: 'profile', target: options.profile }
  return { scope: 'day' }
}

const scopeOptions = (command: Command) =>
  command
    // `--day 5` is kept from the first spelling: the day budget in USD.
    .addOption(new Option('--day [usd]', 'the budget of each UTC day, for everything').argParser(money('--day')))
    .option('--batch <id>', 'the budget of this batch, its whole run', integer('--batch', 1))
    .option('--provider <kind>', 'the budget of each UTC day for a provider kind (openai, anthropic, local, sim)')
    .option('--profile <name>', 'the budget of each UTC day for a profile')

export function addBudgetCommands(costs: Command): void {
  const budget = costs
    .command('budget')
    .description(
      'budgets per UTC day, batch, provider or profile, in USD or tokens: told at 50, 80 and 100 %; with --action pause, held before they are crossed',
    )
  common(budget.command('list').description('budgets: spent, reserved by running attempts, and when each was reached'), true).action(
    async (options: Common) => {
      const { budgets } = await withQueue(options, (h) => h.listBudgets({}))
      if (options.json) printJson(budgets)
      else print(formatBudgets(budgets))
    },
  )

  scopeOptions(common(budget.command('set').description('set a budget: one of --day, --batch, --provider, --profile, with --usd or --tokens')))
    .option('--usd <usd>', 'the limit in USD', money('--usd'))
    .option('--tokens <n>', 'the limit in tokens (input plus output): caps local models too', integer('--tokens', 1))
    .addOption(
      new Option('--action <action>', 'alert: notices only; pause: also hold every attempt that could take it past its limit')
        .choices(['alert', 'pause'])
        .default('alert'),
    )
    .action(async (options: ScopeOptions & { usd?: number; tokens?: number; action: 'alert' | 'pause' }) => {
      const dayAmount = typeof options.day === 'number' ? options.day : undefined
      const amounts = [dayAmount, options.usd, options.tokens].filter((amount) => amount !== undefined)
      if (amounts.length !== 1) throw new CliError('give the limit once: --usd USD or --tokens N', 2)
      const unit: BudgetUnit = options.tokens !== undefined ? 'tokens' : 'usd'
      // The CLI calls the handlers directly: checked here as the API checks it, so a refusal is one line, not a CHECK constraint.
      const input = BudgetInput.safeParse({ ...scopeOf(options), unit, limit: amounts[0]!, action: options.action })
      if (!input.success) throw new CliError(describeZodError(input.error), 2)
      const saved = await withQueue(options, (h) => h.setBudget(input.data))
      const does = saved.action === 'pause' ? 'holds attempts that could cross it' : 'tells at 50, 80 and 100 %'
      print(`${budgetName(saved)}: ${budgetAmount(saved.unit, saved.limit)}, ${does} (${budgetAmount(saved.unit, saved.spent)} spent so far)`)
    })

  scopeOptions(common(budget.command('remove').description('remove a budget: one of --day, --batch, --provider, --profile')))
    .addOption(new Option('--unit <unit>', 'the budget in this unit').choices(BUDGET_UNITS).default('usd'))
    .action(async (options: ScopeOptions & { unit: BudgetUnit }) => {
      if (typeof options.day === 'number') throw new CliError('remove takes --day alone (and --unit tokens for a token budget)', 2)
      const key = { ...scopeOf(options), unit: options.unit }
      const { removed } = await withQueue(options, (h) => h.removeBudget(key))
      const name = budgetName({ batchId: null, target: null, ...key })
      if (!removed) throw new CliError(`no ${name.replace(/^the /, '')}`)
      print(`${name} removed`)
    })
}
