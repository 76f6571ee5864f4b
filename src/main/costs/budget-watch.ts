/**
 * Budgets at work: checked after every settle commit (nothing is read while no budget is
 * set; two small reads when one is), a crossing raises a notice once and, when the budget
 * says pause, stops the queue (a day budget) or the batch (a batch budget) before the next
 * claim. Running attempts finish: what they cost is why a budget is a bound, not a wall.
 */
import { usd } from '../../shared/costs'
import type { CostStore, CrossedBudget } from './store'

export interface BudgetActions {
  notice(notice: { level: 'info' | 'warning' | 'critical'; message: string }): void
  /** Pauses the whole queue, on disk and in the running scheduler. */
  pauseQueue(): Promise<void>
  /** Pauses one batch, on disk and in the running scheduler's gates. */
  pauseBatch(batchId: number, reason: string): Promise<void>
  onError(error: unknown, during: string): void
}

export class BudgetWatch {
  private any = false

  constructor(
    private readonly costs: CostStore,
    private readonly actions: BudgetActions,
  ) {}

  /** After a budget was set or removed, here or by another process. */
  async reload(): Promise<void> {
    this.any = await this.costs.anyBudgets()
  }

  /** Acts on budgets crossed since the last check; never throws (a settle already committed). */
  async check(now = Date.now()): Promise<void> {
    if (!this.any) return
    try {
      for (const crossed of await this.costs.crossBudgets(now)) await this.act(crossed)
    } catch (error) {
      this.actions.onError(error, 'checking budgets')
    }
  }

  private async act(budget: CrossedBudget): Promise<void> {
    const pause = budget.action === 'pause'
    if (budget.scope === 'day') {
      if (pause) await this.actions.pauseQueue()
      this.actions.notice({
        level: pause ? 'critical' : 'warning',
        message:
          `daily budget of ${usd(budget.limitUsd)} crossed: ${usd(budget.spentUsd)} spent today (UTC)` +
          (pause ? '; the queue is paused: `genops queue resume` starts it again' : ''),
      })
      return
    }
    const id = budget.batchId!
    if (pause) await this.actions.pauseBatch(id, `budget of ${usd(budget.limitUsd)} crossed`)
    this.actions.notice({
      level: pause ? 'critical' : 'warning',
      message:
        `batch ${id} crossed its budget of ${usd(budget.limitUsd)}: ${usd(budget.spentUsd)} spent` +
        (pause ? `; its jobs are held: \`genops batches resume ${id}\` starts them again` : ''),
    })
  }
}
