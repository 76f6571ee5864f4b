/**
 * Budgets on disk: one for the UTC day, one per batch at most. What has been spent comes
 * from what settle already keeps (the day's rollup, the batch's running total), so the
 * check after every settle is two small reads. A crossing is marked in the same statement
 * that finds it is new, so it is handed out once, even with two engines on one file.
 */
import type { Database } from 'better-sqlite3'
import { OperationError } from '../../../shared/contract'
import type { Budget } from '../../../shared/costs'
import { sql } from '../../db/connection'
import { bucketStart, DAY_WIDTH } from '../../telemetry/rollups'
import type { BudgetSetting, CrossedBudget } from '../store'

/** Today's (UTC) spend: the day rollup's row for all providers together. */
export const DAY_SPENT = `SELECT ifnull(sum(cost_usd), 0) FROM usage_rollups WHERE resolution = ${DAY_WIDTH} AND bucket = ? AND provider = ''`

type Row = [scope: Budget['scope'], batchId: number | null, limitUsd: number, action: Budget['action'], crossedAt: number | null, batchSpent: number | null]

export function listBudgets(db: Database, now: number): Budget[] {
  const today = sql(db, DAY_SPENT).pluck().get(bucketStart(now, DAY_WIDTH)) as number
  const rows = sql(
    db,
    `SELECT b.scope, b.batch_id, b.limit_usd, b.action, b.crossed_at, ba.cost_usd FROM budgets b LEFT JOIN batches ba ON ba.id = b.batch_id
    ORDER BY b.scope DESC, b.batch_id`,
  )
    .raw()
    .all() as Row[]
  return rows.map(([scope, batchId, limitUsd, action, crossedAt, batchSpent]) => ({
    scope,
    batchId,
    limitUsd,
    action,
    // A day budget crossed on an earlier day is not crossed today.
    crossedAt: scope === 'day' && crossedAt !== null && crossedAt < bucketStart(now, DAY_WIDTH) ? null : crossedAt,
    spentUsd: scope === 'day' ? today : (batchSpent ?? 0),
  }))
}

export function setBudget(db: Database, budget: BudgetSetting, now: number): Budget {
  return db
    .transaction(() => {
      if (budget.scope === 'batch') {
        const exists = sql(db, 'SELECT 1 FROM batches WHERE id = ?').get(budget.batchId)
        if (!exists) throw new OperationError('NOT_FOUND', `batch ${budget.batchId} does not exist`)
      }
      const batchKey = budget.scope === 'day' ? null : budget.batchId
      const id = sql(db, 'SELECT id FROM budgets WHERE scope = ? AND ifnull(batch_id, 0) = ifnull(?, 0)').pluck().get(budget.scope, batchKey) as
        number | undefined
      // A changed limit or action starts over: the new budget can be crossed (and act) again.
      if (id === undefined) {
        sql(db, 'INSERT INTO budgets (scope, batch_id, limit_usd, action, created_at) VALUES (?, ?, ?, ?, ?)').run(
          budget.scope,
          batchKey,
          budget.limitUsd,
          budget.action,
          now,
        )
      } else sql(db, 'UPDATE budgets SET limit_usd = ?, action = ?, crossed_at = NULL WHERE id = ?').run(budget.limitUsd, budget.action, id)
      return listBudgets(db, now).find((b) => b.scope === budget.scope && b.batchId === batchKey)!
    })
    .immediate()
}

export function removeBudget(db: Database, scope: BudgetSetting['scope'], batchId: number | null): boolean {
  return sql(db, 'DELETE FROM budgets WHERE scope = ? AND ifnull(batch_id, 0) = ifnull(?, 0)').run(scope, scope === 'day' ? null : batchId).changes > 0
}

export function anyBudgets(db: Database): boolean {
  return sql(db, 'SELECT EXISTS (SELECT 1 FROM budgets)').pluck().get() === 1
}

/** Budgets newly crossed at `now`, marked crossed: the day's once a UTC day, a batch's once. */
export function crossBudgets(db: Database, now: number): CrossedBudget[] {
  const day = bucketStart(now, DAY_WIDTH)
  const crossed: CrossedBudget[] = []
  const dayBudget = sql(db, `SELECT id, limit_usd, action FROM budgets WHERE scope = 'day' AND (crossed_at IS NULL OR crossed_at < ?)`).get(day) as
    { id: number; limit_usd: number; action: Budget['action'] } | undefined
  if (dayBudget) {
    const spent = sql(db, DAY_SPENT).pluck().get(day) as number
    const mark = sql(db, 'UPDATE budgets SET crossed_at = ? WHERE id = ? AND (crossed_at IS NULL OR crossed_at < ?)')
    if (spent >= dayBudget.limit_usd && mark.run(now, dayBudget.id, day).changes > 0)
      crossed.push({ scope: 'day', batchId: null, limitUsd: dayBudget.limit_usd, action: dayBudget.action, spentUsd: spent })
  }
  const batches = sql(
    db,
    `SELECT b.id, b.batch_id, b.limit_usd, b.action, ba.cost_usd FROM budgets b JOIN batches ba ON ba.id = b.batch_id
    WHERE b.scope = 'batch' AND b.crossed_at IS NULL AND ba.cost_usd >= b.limit_usd`,
  ).all() as { id: number; batch_id: number; limit_usd: number; action: Budget['action']; cost_usd: number }[]
  const mark = sql(db, 'UPDATE budgets SET crossed_at = ? WHERE id = ? AND crossed_at IS NULL')
  for (const budget of batches) {
    if (mark.run(now, budget.id).changes > 0)
      crossed.push({ scope: 'batch', batchId: budget.batch_id, limitUsd: budget.limit_usd, action: budget.action, spentUsd: budget.cost_usd })
  }
  return crossed
}
