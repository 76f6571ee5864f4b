/**
 * Budgets on disk (migration 0020): per UTC day, batch, provider kind or profile, in USD or
 * tokens. What was spent comes from what settle already keeps (the day rollups, the batch's
 * running total); what running attempts may still spend, from their reservations
 * (reservations.ts). Each share told (50, 80, 100 %) is marked in the statement that finds it
 * new, so it is told once a period, even with two engines on one file.
 */
import type { Database } from 'better-sqlite3'
import { OperationError } from '../../../../shared/contract'
import type { Budget } from '../../../../shared/costs'
import { sql } from '../db/connection'
import { bucketStart, DAY_WIDTH } from '../../../telemetry/rollups'
import type { BudgetKey, BudgetNotice, BudgetRoom, BudgetSetting } from '../../../costs/store'
import {
  BUDGET_COLUMNS as COLUMNS,
  keyOf,
  markedRow,
  periodOf,
  reachedShare,
  spentAmount,
  toBudget as budgetOf,
  toRoom,
  type BudgetRow as Row,
} from './budget-rows'
import { reservedAgainst } from './reservations'

/** Today's (UTC) spend of everything: the day rollup's row for all providers together. */
export const DAY_SPENT = `SELECT ifnull(sum(cost_usd), 0) FROM usage_rollups WHERE resolution = ${DAY_WIDTH} AND bucket = ? AND provider = ''`

/** What a budget's scope spent in its period, in its unit. */
function spentOn(db: Database, row: Pick<Row, 'scope' | 'batch_id' | 'target' | 'unit'>, now: number): number {
  const amount = spentAmount(row.unit)
  if (row.scope === 'batch') return (sql(db, `SELECT ${amount} FROM batches WHERE id = ?`).pluck().get(row.batch_id) as number | undefined) ?? 0
  const day = bucketStart(now, DAY_WIDTH)
  const where = { day: `provider = ''`, provider: `provider_kind = @target AND provider <> ''`, profile: 'provider = @target' }[row.scope]
  return sql(db, `SELECT ifnull(sum(${amount}), 0) FROM usage_rollups WHERE resolution = ${DAY_WIDTH} AND bucket = @day AND ${where}`)
    .pluck()
    .get({ day, target: row.target }) as number
}

const toBudget = (db: Database, row: Row, now: number): Budget => budgetOf(row, now, spentOn(db, row, now), reservedAgainst(db, row))

export function listBudgets(db: Database, now: number): Budget[] {
  const rows = sql(db, `SELECT ${COLUMNS} FROM budgets ORDER BY scope, batch_id, target, unit`).all() as Row[]
  return rows.map((row) => toBudget(db, row, now))
}

const KEY = 'scope = @scope AND ifnull(batch_id, 0) = ifnull(@batchId, 0) AND target = @target AND unit = @unit'

export function setBudget(db: Database, budget: BudgetSetting, now: number): Budget {
  return db
    .transaction(() => {
      if (budget.scope === 'batch' && !sql(db, 'SELECT 1 FROM batches WHERE id = ?').get(budget.batchId))
        throw new OperationError('NOT_FOUND', `batch ${budget.batchId} does not exist`)
      const key = keyOf(budget)
      const id = sql(db, `SELECT id FROM budgets WHERE ${KEY}`).pluck().get(key) as number | undefined
      // A changed limit or action starts over: it is told again from 50 %.
      if (id === undefined) {
        sql(
          db,
          `INSERT INTO budgets (scope, batch_id, target, unit, limit_value, action, created_at) VALUES (@scope, @batchId, @target, @unit, @limit, @action, @now)`,
        ).run({ ...key, limit: budget.limit, action: budget.action, now })
      } else
        sql(db, 'UPDATE budgets SET limit_value = ?, action = ?, crossed_at = NULL, notified_pct = 0, notified_period = 0 WHERE id = ?').run(
          budget.limit,
          budget.action,
          id,
        )
      return toBudget(db, sql(db, `SELECT ${COLUMNS} FROM budgets WHERE ${KEY}`).get(key) as Row, now)
    })
    .immediate()
}

export function removeBudget(db: Database, key: BudgetKey): boolean {
  return sql(db, `DELETE FROM budgets WHERE ${KEY}`).run(keyOf(key)).changes > 0
}

export function anyBudgets(db: Database): boolean {
  return sql(db, 'SELECT EXISTS (SELECT 1 FROM budgets)').pluck().get() === 1
}

export function budgetRooms(db: Database, now: number): BudgetRoom[] {
  const rows = sql(db, `SELECT ${COLUMNS} FROM budgets WHERE action = 'pause'`).all() as Row[]
  return rows.map((row) => toRoom(row, spentOn(db, row, now), reservedAgainst(db, row)))
}

/** Shares newly reached, each marked told in the statement that finds it new (see CostStore.budgetNotices). */
export function budgetNotices(db: Database, now: number, held: readonly number[]): BudgetNotice[] {
  const notices: BudgetNotice[] = []
  const mark = sql(
    db,
    `UPDATE budgets SET notified_pct = @pct, notified_period = @period, crossed_at = CASE WHEN @pct >= 100 THEN @now ELSE crossed_at END
    WHERE id = @id AND (notified_period <> @period OR notified_pct < @pct)`,
  )
  for (const row of sql(db, `SELECT ${COLUMNS} FROM budgets`).all() as Row[]) {
    const period = periodOf(row.scope, now)
    const reached = reachedShare(row, spentOn(db, row, now), held)
    if (reached === undefined) continue
    if (mark.run({ id: row.id, pct: reached, period, now }).changes > 0) {
      notices.push({ budget: toBudget(db, markedRow(row, reached, period, now), now), percent: reached })
    }
  }
  return notices
}
