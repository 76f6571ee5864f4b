/**
 * What every change of a job's state moves besides job_counts, on PostgreSQL: a batch's jobs
 * by state (batch_counts), its finishes by minute (batch_finishes), and jobs finished by
 * provider, model and outcome (metric_totals jobs_finished). SQLite keeps them with triggers
 * and state-moves.ts; here the transitions note each move in a StateTally (the SQLite
 * store's, so both count alike) and add it with the rest of their write. The batch tables
 * are sharded like job_counts (migration 0002): readers sum the shards.
 */
import type pg from 'pg'
import type { StateTally } from '../sqlite/queue/state-tally'
import { columnsOf, unnestOf } from './columns'
import { COUNT_SHARDS } from './counts'
import { totalsParams, totalsUpsert, type TotalRow } from './rollups'

/**
 * Adds to batch_counts: `rows` is a query giving (batch_id, state, n), `shard` the shard's
 * parameter. In (batch, state) order, as every writer adds them.
 */
export function batchCountsUpsert(rows: string, shard: string): string {
  return `INSERT INTO batch_counts (batch_id, state, shard, n)
    SELECT batch_id, state, ${shard}, n FROM (${rows}) AS t(batch_id, state, n) WHERE n <> 0 ORDER BY batch_id, state
    ON CONFLICT (batch_id, state, shard) DO UPDATE SET n = batch_counts.n + excluded.n`
}

/**
 * The claim's batch counts, as a CTE of its statement: every job of the CTE `claimed` (its
 * RETURNING gives batch_id) moved from queued to active. `shard` is the counters' shard.
 */
export function claimedBatchCounts(shard: string): string {
  return batchCountsUpsert(
    `SELECT batch_id, s.state, sum(s.sign) FROM claimed, (VALUES ('active', 1), ('queued', -1)) AS s(state, sign)
    WHERE batch_id IS NOT NULL GROUP BY batch_id, s.state`,
    shard,
  )
}

/** Parameters movesWrite numbers from its `first`: the shard, 3 batch_counts columns, 4 batch_finishes columns, 5 metric_totals columns. */
export const MOVES_PARAMS = 1 + 3 + 4 + 5

/**
 * The CTEs (to follow a WITH or a comma) that add a tally's moves, numbering their
 * parameters from `first`: movesParams gives them in that order.
 */
export function movesWrite(first: number): string {
  const shard = `$${first}::smallint`
  return `batch_counted AS (${batchCountsUpsert(`SELECT * FROM ${unnestOf(['bigint', 'text', 'bigint'], first + 1)}`, shard)}),
  batch_finished AS (
    INSERT INTO batch_finishes (batch_id, minute, shard, completed, dead)
    SELECT batch_id, minute, ${shard}, completed, dead FROM ${unnestOf(['bigint', 'bigint', 'bigint', 'bigint'], first + 4)}
      AS t(batch_id, minute, completed, dead) ORDER BY batch_id, minute
    ON CONFLICT (batch_id, minute, shard) DO UPDATE SET completed = batch_finishes.completed + excluded.completed,
      dead = batch_finishes.dead + excluded.dead),
  jobs_finished AS (${totalsUpsert(first + 8)})`
}

/** The tally's moves as movesWrite's parameters, on a random shard. */
export function movesParams(tally: StateTally): unknown[] {
  const finished = tally.finished().map(([provider, model, state, n]): TotalRow => ['jobs_finished', provider, model, state, n])
  return [Math.floor(Math.random() * COUNT_SHARDS), ...columnsOf(tally.batchCounts(), 3), ...columnsOf(tally.batchFinishes(), 4), ...totalsParams(finished)]
}

/** Adds a tally's moves in a statement of their own, inside the caller's transaction. */
export async function writeMoves(client: pg.ClientBase, tally: StateTally): Promise<void> {
  const params = movesParams(tally)
  if (params.slice(1).every((column) => (column as unknown[]).length === 0)) return
  await client.query(`WITH ${movesWrite(1)} SELECT 1`, params)
}
