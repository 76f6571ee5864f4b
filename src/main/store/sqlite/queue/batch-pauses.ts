/**
 * Paused batches: a batch over its budget (or paused by the operator) keeps its jobs queued,
 * held by the gates, until it is resumed. Kept on the batch row, so a pause made by the CLI
 * reaches a running engine on its next poll and survives a restart.
 */
import type { Database } from 'better-sqlite3'
import type { BatchPause } from '../../../../shared/costs'
import { sql } from '../db/connection'

export function pausedBatches(db: Database): BatchPause[] {
  const rows = sql(db, 'SELECT id, pause_reason, paused_at FROM batches INDEXED BY batches_paused WHERE paused_at IS NOT NULL ORDER BY id').raw().all() as [
    number,
    string | null,
    number,
  ][]
  return rows.map(([batchId, reason, pausedAt]) => ({ batchId, reason: reason ?? 'paused', pausedAt }))
}

/** False when the batch does not exist. A batch already paused keeps its first reason. */
export function pauseBatch(db: Database, batchId: number, reason: string, now: number): boolean {
  const exists = sql(db, 'SELECT 1 FROM batches WHERE id = ?').get(batchId) !== undefined
  if (exists) sql(db, 'UPDATE batches SET paused_at = ?, pause_reason = ? WHERE id = ? AND paused_at IS NULL').run(now, reason, batchId)
  return exists
}

/** True when the batch was paused. */
export function resumeBatch(db: Database, batchId: number): boolean {
  return sql(db, 'UPDATE batches SET paused_at = NULL, pause_reason = NULL WHERE id = ? AND paused_at IS NOT NULL').run(batchId).changes > 0
}

/** The paused batches among these ids, with their reasons: what a gated claim holds. */
export function pausedAmong(db: Database, batchIds: number[]): Map<number, string> {
  if (batchIds.length === 0) return new Map()
  const rows = sql(db, `SELECT id, ifnull(pause_reason, 'paused') FROM batches WHERE paused_at IS NOT NULL AND id IN (SELECT value FROM json_each(?))`)
    .raw()
    .all(JSON.stringify(batchIds)) as [number, string][]
  return new Map(rows)
}
