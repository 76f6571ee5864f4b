/**
 * What costs, budgets and the dashboard's series need from storage. The queue store owns
 * one (`store.costs`): the rollups it reads are written by that store's own settle, in the
 * same transaction as the attempts, so a second store (PostgreSQL) brings its own.
 */
import type { Budget, BUDGET_ACTIONS, BUDGET_SCOPES, CostReport, CostReportBy, Price, Series, SeriesQuery } from '../../shared/costs'
import type { QueueStats } from '../../shared/jobs'

type Awaitable<T> = T | Promise<T>

export interface PriceOverride {
  provider: string
  model: string
  inputPerMillion: number
  outputPerMillion: number
}

export interface BudgetSetting {
  scope: (typeof BUDGET_SCOPES)[number]
  batchId: number | null
  limitUsd: number
  action: (typeof BUDGET_ACTIONS)[number]
}

/** A budget found crossed (and marked so: each crossing is handed out once). */
export interface CrossedBudget extends BudgetSetting {
  spentUsd: number
}

export interface CostReportQuery {
  by: CostReportBy
  since: number
  until: number
}

export interface CostStore {
  priceOverrides(): Awaitable<Price[]>
  setPriceOverride(price: PriceOverride, now: number): Awaitable<Price>
  removePriceOverride(provider: string, model: string): Awaitable<boolean>
  costReport(query: CostReportQuery, now: number): Awaitable<CostReport>
  series(query: SeriesQuery, now: number): Awaitable<Series>
  budgets(now: number): Awaitable<Budget[]>
  /** Sets or replaces the day's budget or a batch's; a new limit or action can be crossed again. */
  setBudget(budget: BudgetSetting, now: number): Awaitable<Budget>
  removeBudget(scope: BudgetSetting['scope'], batchId: number | null): Awaitable<boolean>
  anyBudgets(): Awaitable<boolean>
  /** Budgets crossed since they were last looked at, marked crossed as they are returned. */
  crossBudgets(now: number): Awaitable<CrossedBudget[]>
  sampleDepth(stats: QueueStats, at: number): Awaitable<void>
  /** Removes rollup buckets older than their resolution keeps; returns how many rows went. */
  pruneRollups(now: number): Awaitable<number>
}
