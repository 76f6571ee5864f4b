/**
 * Paused batches and batch caps on PostgreSQL: a batch over its budget (or paused by the
 * operator) keeps its jobs queued, held by the gates, until it is resumed; a cap bounds how
 * many of its jobs run at once. Kept on the batch row, so every engine's next gated claim
 * reads them.
 */
import type { BatchPause } from '../../../shared/costs'
import type { Queryable } from './transaction'

export async function pausedBatches(client: Queryable): Promise<BatchPause[]> {
  const { rows } = await client.query<{ id: number; pause_reason: string | null; paused_at: number }>(
    'SELECT id, pause_reason, paused_at FROM batches WHERE paused_at IS NOT NULL ORDER BY id',
  )
  return rows.map((row) => ({ batchId: row.id, reason: row.pause_reason ?? 'paused', pausedAt: row.paused_at }))
}

/** False when the batch does not exist. A batch already paused keeps its first reason. */
export async function pauseBatch(client: Queryable, batchId: number, reason: string, now: number): Promise<boolean> {
  // One statement: the batch's existence and the pause are read and written together.
  const { rows } = await client.query<{ found: boolean }>(
    `WITH paused AS (UPDATE batches SET paused_at = $2, pause_reason = $3 WHERE id = $1 AND paused_at IS NULL)
    SELECT EXISTS (SELECT 1 FROM batches WHERE id = $1) AS found`,
    [batchId, now, reason],
  )
  return rows[0]!.found
}

/** True when the batch was paused. */
export async function resumeBatch(client: Queryable, batchId: number): Promise<boolean> {
  const result = await client.query('UPDATE batches SET paused_at = NULL, pause_reason = NULL WHERE id = $1 AND paused_at IS NOT NULL', [batchId])
  return (result.rowCount ?? 0) > 0
}

/** The paused batches among these ids, with their reasons: what a gated claim holds. */
export async function pausedAmong(client: Queryable, batchIds: number[]): Promise<Map<number, string>> {
  if (batchIds.length === 0) return new Map()
  const { rows } = await client.query<{ id: number; reason: string }>(
    `SELECT id, coalesce(pause_reason, 'paused') AS reason FROM batches WHERE paused_at IS NOT NULL AND id = ANY($1::bigint[])`,
    [batchIds],
  )
  return new Map(rows.map((row) => [row.id, row.reason]))
}

/**
 * A cap changed after the enqueue is the operator's: marked so in the same statement (the
 * SQLite store does it by trigger). Setting the cap it already has changes nothing.
 */
export async function setBatchLimit(client: Queryable, batchId: number, maxConcurrency: number | null): Promise<boolean> {
  const result = await client.query(
    `UPDATE batches SET max_concurrency = $2::integer,
      capped_by = CASE WHEN max_concurrency IS DISTINCT FROM $2::integer THEN 'the operator' ELSE capped_by END
    WHERE id = $1`,
    [batchId, maxConcurrency],
  )
  return (result.rowCount ?? 0) > 0
}

export async function batchCapsExist(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM batches WHERE max_concurrency IS NOT NULL) AS found')
  return rows[0]!.found
}
