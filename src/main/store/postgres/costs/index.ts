/** The PostgreSQL store's costs: price overrides, budgets, reports and series over the rollups its settle writes. */
import type pg from 'pg'
import type { SeriesQuery } from '../../../../shared/costs'
import type { QueueStats } from '../../../../shared/jobs'
import type { BudgetKey, BudgetSetting, CostReportQuery, CostStore, PriceOverride } from '../../../costs/store'
import { inTransaction } from '../transaction'
import { anyBudgets, budgetNotices, listBudgets, removeBudget, setBudget } from './budgets'
import { pruneRollups, sampleDepth } from './depth'
import { priceOverrides, removePriceOverride, setPriceOverride } from './prices'
import { recentOutput } from './recent-output'
import { costReport } from './report'
import { readSeries } from './series'

export class PostgresCostStore implements CostStore {
  constructor(private readonly pool: pg.Pool) {}

  priceOverrides() {
    return priceOverrides(this.pool)
  }
  setPriceOverride(price: PriceOverride, now: number) {
    return setPriceOverride(this.pool, price, now)
  }
  removePriceOverride(provider: string, model: string) {
    return removePriceOverride(this.pool, provider, model)
  }
  costReport(query: CostReportQuery, now: number) {
    return costReport(this.pool, query, now)
  }
  series(query: SeriesQuery, now: number) {
    return readSeries(this.pool, query, now)
  }
  budgets(now: number) {
    return listBudgets(this.pool, now)
  }
  setBudget(budget: BudgetSetting, now: number) {
    return inTransaction(this.pool, (client) => setBudget(client, budget, now))
  }
  removeBudget(key: BudgetKey) {
    return removeBudget(this.pool, key)
  }
  anyBudgets() {
    return anyBudgets(this.pool)
  }
  budgetNotices(now: number, held: readonly number[]) {
    return budgetNotices(this.pool, now, held)
  }
  sampleDepth(stats: QueueStats, at: number) {
    return sampleDepth(this.pool, stats, at)
  }
  pruneRollups(now: number) {
    return inTransaction(this.pool, (client) => pruneRollups(client, now))
  }
  recentOutput(provider: string, model: string | null, since: number) {
    return recentOutput(this.pool, provider, model, since)
  }
}
