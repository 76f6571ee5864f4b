/** The SQLite store's costs: price overrides, budgets, reports and series over the rollups its settle writes. */
import type { Database } from 'better-sqlite3'
import type { SeriesQuery } from '../../../../shared/costs'
import type { QueueStats } from '../../../../shared/jobs'
import { readSeries } from '../telemetry/rollups-read'
import { pruneRollups, sampleDepth } from '../telemetry/rollups-write'
import type { BudgetKey, BudgetSetting, CostReportQuery, CostStore, PriceOverride } from '../../../costs/store'
import { anyBudgets, budgetNotices, listBudgets, removeBudget, setBudget } from './budgets'
import { priceOverrides, removePriceOverride, setPriceOverride } from './prices'
import { recentOutput } from './recent-output'
import { costReport } from './report'

export class SqliteCostStore implements CostStore {
  constructor(private readonly db: Database) {}

  priceOverrides() {
    return priceOverrides(this.db)
  }
  setPriceOverride(price: PriceOverride, now: number) {
    return setPriceOverride(this.db, price, now)
  }
  removePriceOverride(provider: string, model: string) {
    return removePriceOverride(this.db, provider, model)
  }
  costReport(query: CostReportQuery, now: number) {
    return costReport(this.db, query, now)
  }
  series(query: SeriesQuery, now: number) {
    return readSeries(this.db, query, now)
  }
  budgets(now: number) {
    return listBudgets(this.db, now)
  }
  setBudget(budget: BudgetSetting, now: number) {
    return setBudget(this.db, budget, now)
  }
  removeBudget(key: BudgetKey) {
    return removeBudget(this.db, key)
  }
  anyBudgets() {
    return anyBudgets(this.db)
  }
  budgetNotices(now: number, held: readonly number[]) {
    return budgetNotices(this.db, now, held)
  }
  sampleDepth(stats: QueueStats, at: number) {
    sampleDepth(this.db, stats, at)
  }
  pruneRollups(now: number) {
    return pruneRollups(this.db, now)
  }
  recentOutput(provider: string, model: string | null, since: number) {
    return recentOutput(this.db, provider, model, since)
  }
}
