/**
 * Budgets as both stores keep them: the row, the period a budget counts in, what it has spent
 * in its unit, and the share it reached. No SQL runs here; store/sqlite/costs/budgets.ts and
 * store/postgres/costs/budgets.ts read and mark the rows.
 */
import type { Budget } from '../../../../shared/costs'
import { bucketStart, DAY_WIDTH } from '../../../telemetry/rollups'
import type { BudgetKey, BudgetRoom } from '../../../costs/store'

export type BudgetRow = {
  id: number
  scope: Budget['scope']
  batch_id: number | null
  target: string
  unit: Budget['unit']
  limit_value: number
  action: Budget['action']
  crossed_at: number | null
  notified_pct: number
  notified_period: number
}

export const BUDGET_COLUMNS = 'id, scope, batch_id, target, unit, limit_value, action, crossed_at, notified_pct, notified_period'

/** The period a budget counts in: the UTC day, or (a batch budget) the batch's whole run. */
export const periodOf = (scope: Budget['scope'], now: number) => (scope === 'batch' ? 0 : bucketStart(now, DAY_WIDTH))

/** What a budget's unit adds up, as columns of usage_rollups and batches. */
export const spentAmount = (unit: Budget['unit']) =>
  // A token budget counts every class: a token read from the prompt cache is still a token the provider took.
  unit === 'usd' ? 'cost_usd' : 'input_tokens + cached_input_tokens + cache_write_tokens + output_tokens'

/** A key's columns as the rows keep them: no target is ''. */
export const keyOf = (key: BudgetKey) => ({ scope: key.scope, batchId: key.batchId, target: key.target ?? '', unit: key.unit })

export function toBudget(row: BudgetRow, now: number, spent: number, reserved: number): Budget {
  const current = row.notified_period === periodOf(row.scope, now)
  return {
    scope: row.scope,
    batchId: row.batch_id,
    target: row.target === '' ? null : row.target,
    unit: row.unit,
    limit: row.limit_value,
    action: row.action,
    // Reached on an earlier day is not reached today.
    crossedAt: current ? row.crossed_at : null,
    spent,
    reserved,
  }
}

export function toRoom(row: BudgetRow, spent: number, reserved: number): BudgetRoom {
  return {
    id: row.id,
    scope: row.scope,
    batchId: row.batch_id,
    target: row.target === '' ? null : row.target,
    unit: row.unit,
    limit: row.limit_value,
    left: row.limit_value - spent - reserved,
  }
}

const THRESHOLDS = [50, 80, 100] as const

/** The highest share (50, 80, 100 %) a budget reached; a budget a claim held jobs for is reached whatever was spent. */
export function reachedShare(row: BudgetRow, spent: number, held: readonly number[]): 50 | 80 | 100 | undefined {
  return held.includes(row.id) ? 100 : [...THRESHOLDS].reverse().find((pct) => spent >= (row.limit_value * pct) / 100)
}

/** The row as it is once a share is marked told. */
export const markedRow = (row: BudgetRow, pct: number, period: number, now: number): BudgetRow => ({
  ...row,
  notified_pct: pct,
  notified_period: period,
  crossed_at: pct >= 100 ? now : row.crossed_at,
})
