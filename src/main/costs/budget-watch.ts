/**
 * Budgets told: after every settle commit (nothing is read while no budget is set), each
 * budget that reached 50, 80 or 100 % of its limit in its period is told once, as a notice
 * (it reaches the tray and the window). A budget that pauses is also reached when a claim
 * held jobs for it (budget-gate.ts): its spend then stays below its limit, so that is the
 * moment to say so. Holding is the gate's work; this only tells.
 */
import { budgetAmount, budgetName } from '../../shared/costs'
import type { BudgetNotice, CostStore } from './store'

export interface BudgetActions {
  notice(notice: { level: 'info' | 'warning' | 'critical'; message: string }): void
  onError(error: unknown, during: string): void
}

export class BudgetWatch {
  private any = false
  /** Budgets (ids) a claim held jobs for since the last check. */
  private held = new Set<number>()
  private checkSoon = false

  constructor(
    private readonly costs: CostStore,
    private readonly actions: BudgetActions,
  ) {}

  /** True once some budget is set: claims then weigh and reserve. */
  get anyBudgets(): boolean {
    return this.any
  }

  /** After a budget was set or removed, here or by another process. */
  async reload(): Promise<void> {
    this.any = await this.costs.anyBudgets()
  }

  /** A claim held jobs so as not to cross this budget: told at the next check, which comes soon. */
  heldFor(budgetId: number): void {
    this.held.add(budgetId)
    if (this.checkSoon) return
    this.checkSoon = true
    setImmediate(() => {
      this.checkSoon = false
      void this.check()
    })
  }

  /** Tells the shares reached since the last check; never throws (a settle already committed). */
  async check(now = Date.now()): Promise<void> {
    if (!this.any) return
    const held = [...this.held]
    this.held.clear()
    try {
      for (const notice of await this.costs.budgetNotices(now, held)) this.actions.notice(told(notice))
    } catch (error) {
      this.actions.onError(error, 'checking budgets')
    }
  }
}

function told({ budget, percent }: BudgetNotice): { level: 'info' | 'warning' | 'critical'; message: string } {
  const amount = (value: number) => budgetAmount(budget.unit, value)
  const period = budget.scope === 'batch' ? '' : ' today (UTC)'
  const spent = `${amount(budget.spent)} of ${amount(budget.limit)} spent${period}`
  if (percent < 100) return { level: percent >= 80 ? 'warning' : 'info', message: `${budgetName(budget)} is ${percent}% used: ${spent}` }
  if (budget.action === 'alert') return { level: 'warning', message: `${budgetName(budget)} is used up: ${spent}` }
  return {
    level: 'critical',
    message:
      `${budgetName(budget)} is reached: ${spent}, ${amount(budget.reserved)} reserved by running attempts; ` +
      'jobs that could take it past its limit are held until it is raised or removed (genops costs budget)',
  }
}
