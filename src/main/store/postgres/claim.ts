/**
 * Claims and leases on PostgreSQL. A claim is one statement: it locks the first due jobs
 * with FOR UPDATE SKIP LOCKED (so engines claiming at once take different jobs and never
 * wait for each other), moves them to active under this owner's lease, and writes their
 * events and counts, atomically. Leases live in the rows, so they outlast the engine that
 * took them: another engine's recovery finds them when they expire (recover.ts).
 */
import type { Queryable } from './transaction'
import type { JobChange } from '../../../shared/contract'
import type { ClaimedJob, ClaimOptions } from '../../queue/store'
import { countsUpsert, COUNT_SHARDS } from './counts'

export const CLAIM = `WITH picked AS (
    SELECT id FROM jobs WHERE state = 'queued' AND lane = 'realtime' AND run_at <= $3
    ORDER BY priority, run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED),
  claimed AS (
    UPDATE jobs j SET state = 'active', lease_owner = $1, lease_expires_at = $2, started_at = $3, updated_at = $3,
      attempts_made = j.attempts_made + 1
    FROM picked WHERE j.id = picked.id AND j.state = 'queued'
    RETURNING j.id, j.batch_id, j.provider, j.model, j.prompt, j.config, j.attempts_made, j.run_at, j.priority),
  events AS (INSERT INTO job_events (job_id, at, from_state, to_state) SELECT id, $3, 'queued', 'active' FROM claimed),
  counted AS (${countsUpsert(
    `SELECT s.state, s.sign * c.n FROM (SELECT count(*) AS n FROM claimed) c, (VALUES ('active', 1), ('queued', -1)) AS s(state, sign)`,
    '$5::smallint',
  )})
  SELECT * FROM claimed`

interface ClaimRow {
  id: number
  batch_id: number | null
  provider: string
  model: string | null
  prompt: string
  config: Record<string, unknown> | null
  attempts_made: number
  run_at: number
  priority: number
}

/**
 * Claims up to `limit` due jobs, highest priority first, then the longest due. Claims are not
 * announced to other engines (the hot path); the settle that ends them is.
 */
export async function claimJobs(
  client: Queryable,
  { owner, limit, now, leaseMs, gate, starts, reserve }: ClaimOptions,
): Promise<{ jobs: ClaimedJob[]; changes: JobChange[] }> {
  if (gate || starts || reserve) {
    throw new Error('the PostgreSQL store claims without gates so far: breakers, rate windows and budgets on PostgreSQL come with the rest of issue 15')
  }
  if (limit <= 0) return { jobs: [], changes: [] }
  const { rows } = await client.query<ClaimRow>(CLAIM, [owner, now + leaseMs, now, limit, Math.floor(Math.random() * COUNT_SHARDS)])
  // RETURNING keeps no order: dispatched as the claim ranked them.
  rows.sort((a, b) => a.priority - b.priority || a.run_at - b.run_at || a.id - b.id)
  return {
    jobs: rows.map((row) => ({
      id: row.id,
      batchId: row.batch_id,
      provider: row.provider,
      model: row.model,
      prompt: row.prompt,
      config: row.config ?? {},
      attempt: row.attempts_made,
      startedAt: now,
      readyAt: row.run_at,
    })),
    changes: rows.map((row) => ({ id: row.id, state: 'active' as const, attemptsMade: row.attempts_made })),
  }
}

export async function extendLeases(client: Queryable, owner: string, until: number): Promise<number> {
  // Rows locked in id order, as every settle and recovery locks them: a heartbeat beside this owner's settle never deadlocks.
  const result = await client.query(
    `UPDATE jobs SET lease_expires_at = $1
    WHERE id IN (SELECT id FROM jobs WHERE state = 'active' AND lease_owner = $2 ORDER BY id FOR UPDATE) AND state = 'active' AND lease_owner = $2`,
    [until, owner],
  )
  return result.rowCount ?? 0
}

export async function leaseOwners(client: Queryable): Promise<string[]> {
  const { rows } = await client.query<{ lease_owner: string }>(
    `SELECT DISTINCT lease_owner FROM jobs WHERE state = 'active' AND lease_expires_at IS NOT NULL AND lease_owner IS NOT NULL`,
  )
  return rows.map((row) => row.lease_owner)
}

/** Of these job ids, those no longer active under this owner (cancelled, or recovered by another engine). */
export async function lostLeases(client: Queryable, owner: string, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return []
  const { rows } = await client.query<{ id: number }>(`SELECT id FROM jobs WHERE id = ANY($1::bigint[]) AND state = 'active' AND lease_owner = $2`, [
    ids,
    owner,
  ])
  const held = new Set(rows.map((row) => row.id))
  return ids.filter((id) => !held.has(id))
}
