/**
 * Budgets on PostgreSQL, as store/sqlite/costs/budgets.ts keeps them: spent comes from the day
 * rollups or the batch's running total, reserved from the claims' reservations
 * (../reservations.ts). Each share told is marked in the statement that finds it new, so with
 * several engines on one database it is still told once a period.
 */
import { OperationError } from '../../../../shared/contract'
import type { Budget } from '../../../../shared/costs'
import { bucketStart, DAY_WIDTH } from '../../../telemetry/rollups'
import type { BudgetKey, BudgetNotice, BudgetRoom, BudgetSetting } from '../../../costs/store'
import { BUDGET_COLUMNS, keyOf, markedRow, periodOf, reachedShare, spentAmount, toBudget, toRoom, type BudgetRow } from '../../sqlite/costs/budget-rows'
import { reservedAgainst } from '../reservations'
import type { Queryable } from '../transaction'

/** What a budget's scope spent in its period, in its unit. */
async function spentOn(client: Queryable, row: Pick<BudgetRow, 'scope' | 'batch_id' | 'target' | 'unit'>, now: number): Promise<number> {
  const amount = spentAmount(row.unit)
  if (row.scope === 'batch') {
    const { rows } = await client.query<{ spent: number }>(`SELECT (${amount})::double precision AS spent FROM batches WHERE id = $1`, [row.batch_id])
    return rows[0]?.spent ?? 0
  }
  const where = { day: `provider = ''`, provider: `provider_kind = $2 AND provider <> ''`, profile: 'provider = $2' }[row.scope]
  const { rows } = await client.query<{ spent: number }>(
    `SELECT coalesce(sum(${amount}), 0)::double precision AS spent FROM usage_rollups WHERE resolution = ${DAY_WIDTH} AND bucket = $1 AND ${where}`,
    row.scope === 'day' ? [bucketStart(now, DAY_WIDTH)] : [bucketStart(now, DAY_WIDTH), row.target],
  )
  return rows[0]!.spent
}

const budgetOf = async (client: Queryable, row: BudgetRow, now: number): Promise<Budget> =>
  toBudget(row, now, await spentOn(client, row, now), await reservedAgainst(client, row))

export async function listBudgets(client: Queryable, now: number): Promise<Budget[]> {
  const { rows } = await client.query<BudgetRow>(`SELECT ${BUDGET_COLUMNS} FROM budgets ORDER BY scope, batch_id NULLS FIRST, target COLLATE "C", unit`)
  const budgets: Budget[] = []
  for (const row of rows) budgets.push(await budgetOf(client, row, now))
  return budgets
}

const KEY = 'scope = $1 AND coalesce(batch_id, 0) = coalesce($2::bigint, 0) AND target = $3 AND unit = $4'
const keyValues = (key: BudgetKey) => {
  const { scope, batchId, target, unit } = keyOf(key)
  return [scope, batchId, target, unit]
}

/** Run in one transaction: the batch is checked and the budget written together. */
export async function setBudget(client: Queryable, budget: BudgetSetting, now: number): Promise<Budget> {
  if (budget.scope === 'batch' && (await client.query('SELECT 1 FROM batches WHERE id = $1 FOR KEY SHARE', [budget.batchId])).rowCount === 0)
    throw new OperationError('NOT_FOUND', `batch ${budget.batchId} does not exist`)
  // A changed limit or action starts over: it is told again from 50 %.
  const { rows } = await client.query<BudgetRow>(
    `INSERT INTO budgets (scope, batch_id, target, unit, limit_value, action, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (scope, coalesce(batch_id, 0), target, unit)
      DO UPDATE SET limit_value = excluded.limit_value, action = excluded.action, crossed_at = NULL, notified_pct = 0, notified_period = 0
    RETURNING ${BUDGET_COLUMNS}`,
    [...keyValues(budget), budget.limit, budget.action, now],
  )
  return budgetOf(client, rows[0]!, now)
}

export async function removeBudget(client: Queryable, key: BudgetKey): Promise<boolean> {
  return ((await client.query(`DELETE FROM budgets WHERE ${KEY}`, keyValues(key))).rowCount ?? 0) > 0
}

export async function anyBudgets(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM budgets) AS any')
  return rows[0]!.any
}

/** The budgets that pause, with what is left of each: what the gated claim weighs (ClaimFacts.budgets). */
export async function budgetRooms(client: Queryable, now: number): Promise<BudgetRoom[]> {
  const { rows } = await client.query<BudgetRow>(`SELECT ${BUDGET_COLUMNS} FROM budgets WHERE action = 'pause' ORDER BY id`)
  const rooms: BudgetRoom[] = []
  for (const row of rows) rooms.push(toRoom(row, await spentOn(client, row, now), await reservedAgainst(client, row)))
  return rooms
}

/** Shares newly reached, each marked told in the statement that finds it new (see CostStore.budgetNotices). */
export async function budgetNotices(client: Queryable, now: number, held: readonly number[]): Promise<BudgetNotice[]> {
  const notices: BudgetNotice[] = []
  const { rows } = await client.query<BudgetRow>(`SELECT ${BUDGET_COLUMNS} FROM budgets ORDER BY id`)
  for (const row of rows) {
    const period = periodOf(row.scope, now)
    const reached = reachedShare(row, await spentOn(client, row, now), held)
    if (reached === undefined) continue
    const marked = await client.query(
      `UPDATE budgets SET notified_pct = $2, notified_period = $3, crossed_at = CASE WHEN $2 >= 100 THEN $4 ELSE crossed_at END
      WHERE id = $1 AND (notified_period <> $3 OR notified_pct < $2)`,
      [row.id, reached, period, now],
    )
    if ((marked.rowCount ?? 0) > 0) notices.push({ budget: await budgetOf(client, markedRow(row, reached, period, now), now), percent: reached })
  }
  return notices
}
