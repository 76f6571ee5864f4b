/**
 * What costs, budgets and the dashboard's series need from storage. The queue store owns
 * one (`store.costs`): the rollups it reads are written by that store's own settle, in the
 * same transaction as the attempts, so a second store (PostgreSQL) brings its own.
 */
import type { Budget, BUDGET_ACTIONS, BUDGET_SCOPES, BudgetUnit, CostReport, CostReportBy, Price, Series, SeriesQuery } from '../../shared/costs'
import type { QueueStats } from '../../shared/jobs'

type Awaitable<T> = T | Promise<T>

export interface PriceOverride {
  provider: string
  model: string
  inputPerMillion: number
  outputPerMillion: number
}

/** Which budget: its scope, batch (scope batch) or provider kind / profile name (scopes provider, profile), and unit. */
export interface BudgetKey {
  scope: (typeof BUDGET_SCOPES)[number]
  batchId: number | null
  target: string | null
  unit: BudgetUnit
}

export interface BudgetSetting extends BudgetKey {
  limit: number
  action: (typeof BUDGET_ACTIONS)[number]
}

/** A budget that pauses, with what is left of it now (its limit less what was spent and is reserved): what a claim weighs. */
export interface BudgetRoom extends BudgetKey {
  id: number
  limit: number
  left: number
}

/** A share of a budget newly reached (and marked so: each is told once a period), or the budget reached by holding jobs. */
export interface BudgetNotice {
  budget: Budget
  percent: 50 | 80 | 100
}

export interface CostReportQuery {
  by: CostReportBy
  since: number
  until: number
}

/** Attempts of one provider and model completed since a time, and the output tokens they gave. */
export interface RecentOutput {
  completed: number
  outputTokens: number
}

export interface CostStore {
  priceOverrides(): Awaitable<Price[]>
  setPriceOverride(price: PriceOverride, now: number): Awaitable<Price>
  removePriceOverride(provider: string, model: string): Awaitable<boolean>
  costReport(query: CostReportQuery, now: number): Awaitable<CostReport>
  series(query: SeriesQuery, now: number): Awaitable<Series>
  budgets(now: number): Awaitable<Budget[]>
  /** Sets or replaces a budget; a new limit or action is told again from 50 %. */
  setBudget(budget: BudgetSetting, now: number): Awaitable<Budget>
  removeBudget(key: BudgetKey): Awaitable<boolean>
  anyBudgets(): Awaitable<boolean>
  /**
   * Shares of budgets (50, 80, 100 %) reached since they were last told in their period,
   * marked told as they are returned; `held` names budgets (by id) a claim held jobs for,
   * which are reached whatever was spent.
   */
  budgetNotices(now: number, held: readonly number[]): Awaitable<BudgetNotice[]>
  sampleDepth(stats: QueueStats, at: number): Awaitable<void>
  /** Removes rollup buckets older than their resolution keeps; returns how many rows went. */
  pruneRollups(now: number): Awaitable<number>
  /** What `provider` (a job's provider or profile name) and `model` (null: none named) completed since `since`, from the hourly rollups. */
  recentOutput(provider: string, model: string | null, since: number): Awaitable<RecentOutput>
}
