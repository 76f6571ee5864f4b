/**
 * Claims and leases on PostgreSQL. A plain claim is one statement: it locks the first due
 * jobs with FOR UPDATE SKIP LOCKED (so engines claiming at once take different jobs and never
 * wait for each other), moves them to active under this owner's lease, and writes their
 * events and counts, atomically. A gated claim (something holds work back) picks its jobs
 * track by track (tracks.ts) in a transaction, records their starts and reservations beside
 * them, and is serialized with every other engine's gated claim (see GATED_CLAIM_LOCK).
 * Leases live in the rows, so they outlast the engine that took them: another engine's
 * recovery finds them when they expire (recover.ts).
 *
 * Every lease's end is written and judged by the server's clock (SERVER_NOW_MS): the engines
 * sharing the database run on machines whose clocks disagree, and one judging by its own
 * would recover the others' live jobs (a clock ahead: they run twice) or write leases the
 * others read as run out (a clock behind). An engine still chooses its lease's length. Due
 * times (`run_at`) and the rows' stamps stay on the engine's clock: a job due a little early
 * or late on a skewed machine runs a little early or late, and nothing runs twice for it.
 */
import type { Queryable } from './transaction'
import type { JobChange } from '../../../shared/contract'
import { RATE_WINDOW_MS } from '../../../shared/resilience'
import type { ClaimedJob, ClaimOptions, Route } from '../../queue/store'
import { claimedBatchCounts } from './batch-counts'
import { countsUpsert, COUNT_SHARDS } from './counts'
import { sentPromptChars } from '../sqlite/queue/tracks'
import { recordStarts } from './rate-state'
import type { Reservation } from '../sqlite/costs/reservations'
import { reserveAll } from './reservations'
import { pickJobs } from './tracks'

/**
 * The server's clock in epoch ms, as `lease_expires_at` holds it. statement_timestamp(): one
 * reading for all the rows a statement touches, taken when the statement arrives (a gated
 * claim's, after the lock it waited for), and stable, so a comparison with it can use an index.
 */
export const SERVER_NOW_MS = '(extract(epoch from statement_timestamp()) * 1000)::bigint'

/** $1 owner, $2 the lease's length (ms), $3 now (the engine's: stamps and due times), $4 what `picked` reads, $5 the counters' shard. */
const claimOf = (picked: string) => `WITH picked AS (${picked}),
  claimed AS (
    UPDATE jobs j SET state = 'active', lease_owner = $1, lease_expires_at = ${SERVER_NOW_MS} + $2::bigint, started_at = $3, updated_at = $3,
      attempts_made = j.attempts_made + 1
    FROM picked WHERE j.id = picked.id AND j.state = 'queued'
    RETURNING j.id, j.batch_id, j.provider, j.model, j.prompt, j.config, j.attempts_made, j.run_at, j.priority),
  events AS (INSERT INTO job_events (job_id, at, from_state, to_state) SELECT id, $3, 'queued', 'active' FROM claimed),
  counted AS (${countsUpsert(
    `SELECT s.state, s.sign * c.n FROM (SELECT count(*) AS n FROM claimed) c, (VALUES ('active', 1), ('queued', -1)) AS s(state, sign)`,
    '$5::smallint',
  )}),
  batch_counted AS (${claimedBatchCounts('$5::smallint')})
  SELECT * FROM claimed`

/** $4 the most to claim. */
export const CLAIM = claimOf(`SELECT id FROM jobs WHERE state = 'queued' AND lane = 'realtime' AND run_at <= $3
    ORDER BY priority, run_at, id LIMIT $4 FOR UPDATE SKIP LOCKED`)

/**
 * $4 the ids the gate admitted: locked in id order; one a settle or cancel holds, or another engine took, is left out, and
 * so is one that is no longer due (another engine claimed it and settled it back with a later retry meanwhile).
 */
const CLAIM_PICKED = claimOf(`SELECT id FROM jobs WHERE id = ANY($4::bigint[]) AND state = 'queued' AND lane = 'realtime' AND run_at <= $3
    ORDER BY id FOR UPDATE SKIP LOCKED`)

/**
 * Gated claims take this transaction-level advisory lock before they read the facts, and
 * hold it until they commit. A gate weighs what every engine has running or started (batch
 * caps, provider rate windows and quotas, budgets less reservations), and those are sums
 * over many rows that no row lock covers: without the lock two engines would both read the
 * last free place and both take it. Under it, each gated claim reads (READ COMMITTED: each
 * statement sees what committed before it) the starts, active jobs and reservations the one
 * before it committed, as SQLite's immediate transaction does. The job rows themselves are
 * still taken with SKIP LOCKED, so a plain claim, a settle or a cancel never waits on it;
 * settles only free room, so they need no part in it.
 */
export const GATED_CLAIM_LOCK = 0x67656e6f7073 // "genops" (migrations take another)

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
 * Claims up to `limit` due jobs, highest priority first, then the longest due; with a gate,
 * those it admits, track by track. Claims are not announced to other engines (the hot
 * path); the settle that ends them is. With a gate, starts or reservations, `client` must be
 * in a transaction (index.ts): what is written beside the jobs commits with them.
 */
export async function claimJobs(
  client: Queryable,
  { owner, limit, now, leaseMs, gate, starts, reserve }: ClaimOptions,
): Promise<{ jobs: ClaimedJob[]; changes: JobChange[] }> {
  if (limit <= 0) return { jobs: [], changes: [] }
  const shard = Math.floor(Math.random() * COUNT_SHARDS)
  let rows: ClaimRow[]
  let routes = new Map<number, Route | null>()
  if (gate) {
    await client.query('SELECT pg_advisory_xact_lock($1)', [GATED_CLAIM_LOCK])
    routes = await pickJobs(client, gate, limit, now, { windowMs: starts?.windowMs ?? RATE_WINDOW_MS, budgets: reserve !== undefined })
    if (routes.size === 0) return { jobs: [], changes: [] }
    const order = new Map([...routes.keys()].map((id, i) => [id, i]))
    // Dispatched in the order picked: priority first, across tracks.
    rows = (await client.query<ClaimRow>(CLAIM_PICKED, [owner, leaseMs, now, [...routes.keys()], shard])).rows
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!)
  } else {
    rows = (await client.query<ClaimRow>(CLAIM, [owner, leaseMs, now, limit, shard])).rows
    // RETURNING keeps no order: dispatched as the claim ranked them.
    rows.sort((a, b) => a.priority - b.priority || a.run_at - b.run_at || a.id - b.id)
  }
  const jobs: ClaimedJob[] = rows.map((row) => {
    const fallback = routes.get(row.id)
    return {
      id: row.id,
      batchId: row.batch_id,
      provider: row.provider,
      model: row.model,
      prompt: row.prompt,
      config: row.config ?? {},
      attempt: row.attempts_made,
      startedAt: now,
      readyAt: row.run_at,
      ...(fallback && { fallback }),
    }
  })
  if (starts || reserve) await countAndReserve(client, jobs, now, starts, reserve)
  return { jobs, changes: rows.map((row) => ({ id: row.id, state: 'active' as const, attemptsMade: row.attempts_made })) }
}

/**
 * Each claimed attempt's place in its provider's rate window and its reservation against the
 * budgets, written in the claim's transaction, so the next engine's claim weighs them.
 */
async function countAndReserve(
  client: Queryable,
  jobs: ClaimedJob[],
  now: number,
  starts: ClaimOptions['starts'],
  reserve: ClaimOptions['reserve'],
): Promise<void> {
  const counted: { provider: string; jobId: number; estimate: number }[] = []
  const reservations: { jobId: number; reservation: Reservation }[] = []
  for (const job of jobs) {
    const route = job.fallback ?? { provider: job.provider, model: job.model }
    const maxTokens = typeof job.config.maxTokens === 'number' ? job.config.maxTokens : null
    const promptChars = sentPromptChars(job.prompt, job.config.vars)
    const estimate = starts?.estimate(route, promptChars, maxTokens) ?? null
    if (estimate !== null) counted.push({ provider: route.provider, jobId: job.id, estimate })
    if (reserve) reservations.push({ jobId: job.id, reservation: reserve(route, job.batchId, promptChars, maxTokens) })
  }
  await reserveAll(client, now, reservations)
  const startIds = await recordStarts(client, now, counted)
  for (const job of jobs) {
    const startId = startIds.get(job.id)
    if (startId !== undefined) job.startId = startId
  }
}

/** Renews this owner's leases to `until` on the engine's clock: for as long from the server's now as `until` is from the engine's. */
export async function extendLeases(client: Queryable, owner: string, until: number): Promise<number> {
  // Rows locked in id order, as every settle and recovery locks them: a heartbeat beside this owner's settle never deadlocks.
  const result = await client.query(
    `UPDATE jobs SET lease_expires_at = ${SERVER_NOW_MS} + $1::bigint
    WHERE id IN (SELECT id FROM jobs WHERE state = 'active' AND lease_owner = $2 ORDER BY id FOR UPDATE) AND state = 'active' AND lease_owner = $2`,
    [Math.round(until - Date.now()), owner],
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
