/**
 * Claims and leases. A claim moves due jobs to active under a lease in one immediate
 * transaction; heartbeats extend the leases; recovery requeues jobs whose lease ran out
 * (their process crashed or hung), counting each stall.
 */
import type { Database } from 'better-sqlite3'
import type { JobChange } from '../../../../shared/contract'
import { ERROR_CATEGORIES } from '../../../../shared/errors'
import { sql } from '../db/connection'
import { recordUsage, type SettledAttempt } from '../telemetry/rollups-write'
import { RATE_WINDOW_MS } from '../../../../shared/resilience'
import type { ClaimOptions, ClaimedJob, RecoverOptions, Route } from '../../../queue/store'
import { recordFailure } from './failures'
import { pickJobs, sentPromptChars } from './tracks'
import { recordStart } from './rate-state'
import { release, reserve as reserveCost } from '../costs/reservations'
import { adjustCounts, isRecord, addCount, recordEvent, type CountDeltas } from './rows'
import { countedHere, StateMoves } from './state-moves'

interface ClaimRow {
  id: number
  batch_id: number | null
  provider: string
  model: string | null
  prompt: string
  config: string | null
  attempts_made: number
  run_at: number
}

// INDEXED BY pins the plan: without statistics SQLite prefers jobs_by_state and sorts every
// queued job on each claim (query-plans.test.ts reads the plan of these statements). A batch
// still loading (sqlite/load.ts) is never claimed from.
export const CLAIM = `UPDATE jobs SET state = 'active', lease_owner = @owner, lease_expires_at = @until,
    started_at = @now, updated_at = @now, attempts_made = attempts_made + 1
  WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_ready WHERE state = 'queued' AND lane = 'realtime' AND run_at <= @now
               AND (batch_id IS NULL OR batch_id NOT IN (SELECT id FROM batches WHERE loading_owner IS NOT NULL))
               ORDER BY priority, run_at, id LIMIT @limit)
  RETURNING id, batch_id, provider, model, prompt, config, attempts_made, run_at`

/** The gated claim's form: the ids were picked track by track (tracks.ts). */
const CLAIM_PICKED = `UPDATE jobs SET state = 'active', lease_owner = @owner, lease_expires_at = @until,
    started_at = @now, updated_at = @now, attempts_made = attempts_made + 1
  WHERE id IN (SELECT value FROM json_each(@ids)) AND state = 'queued'
  RETURNING id, batch_id, provider, model, prompt, config, attempts_made, run_at`

export function claimJobs(db: Database, { owner, limit, now, leaseMs, gate, starts, reserve }: ClaimOptions): { jobs: ClaimedJob[]; changes: JobChange[] } {
  if (limit <= 0) return { jobs: [], changes: [] }
  return db
    .transaction(() => {
      const lease = { owner, until: now + leaseMs, now }
      let rows: ClaimRow[]
      let routes = new Map<number, Route | null>()
      if (gate) {
        routes = pickJobs(db, gate, limit, now, { windowMs: starts?.windowMs ?? RATE_WINDOW_MS, budgets: reserve !== undefined })
        const order = new Map([...routes.keys()].map((id, i) => [id, i]))
        // Dispatched in the order picked: priority first, across tracks.
        rows = (countedHere(db, () => sql(db, CLAIM_PICKED).all({ ...lease, ids: JSON.stringify([...routes.keys()]) })) as ClaimRow[]).sort(
          (a, b) => order.get(a.id)! - order.get(b.id)!,
        )
      } else rows = countedHere(db, () => sql(db, CLAIM).all({ ...lease, limit })) as ClaimRow[]
      if (rows.length === 0) return { jobs: [], changes: [] }
      // Each row moved from queued to active with the triggers off: counted here, one write a batch (state-moves.ts).
      const moves = new StateMoves()
      for (const row of rows) moves.moved(row, 'queued', 'active', now)
      moves.write(db)
      const jobs: ClaimedJob[] = []
      const changes: JobChange[] = []
      const quarantined: number[] = []
      for (const row of rows) {
        const config = parseConfig(row.config)
        if (config === undefined) {
          quarantined.push(row.id)
          continue
        }
        const route = routes.get(row.id) ?? { provider: row.provider, model: row.model }
        // Counted in the claim's own transaction, so two processes cannot both take a window's last place.
        const maxTokens = typeof config.maxTokens === 'number' ? config.maxTokens : null
        const promptChars = sentPromptChars(row.prompt, config.vars)
        const estimate = starts?.estimate(route, promptChars, maxTokens) ?? null
        // Reserved against the budgets in the same transaction, so another process's claim weighs it too.
        if (reserve) reserveCost(db, row.id, now, reserve(route, row.batch_id, promptChars, maxTokens))
        jobs.push({
          id: row.id,
          batchId: row.batch_id,
          provider: row.provider,
          model: row.model,
          prompt: row.prompt,
          config,
          attempt: row.attempts_made,
          startedAt: now,
          readyAt: row.run_at,
          ...(routes.get(row.id) && { fallback: routes.get(row.id)! }),
          ...(estimate !== null && { startId: recordStart(db, route.provider, row.id, now, estimate) }),
        })
        changes.push({ id: row.id, state: 'active', attemptsMade: row.attempts_made })
      }
      sql(db, `INSERT INTO job_events (job_id, at, from_state, to_state) SELECT value, ?, 'queued', 'active' FROM json_each(?)`).run(
        now,
        JSON.stringify(jobs.map((job) => job.id)),
      )
      const deltas: CountDeltas = { queued: -rows.length, active: jobs.length }
      for (const id of quarantined) {
        // A row whose stored parameters no longer parse cannot run; it goes dead with the reason, not a crash.
        sql(
          db,
          `UPDATE jobs SET state = 'dead', finished_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL,
        error_category = 'VALIDATION', last_error = 'stored job config does not parse as a JSON object' WHERE id = ?`,
        ).run(now, now, id)
        recordEvent(db, id, now, 'queued', 'dead', 'quarantined: stored config does not parse')
        addCount(deltas, 'dead', 1)
        changes.push({ id, state: 'dead', attemptsMade: 0 })
      }
      adjustCounts(db, deltas)
      return { jobs, changes }
    })
    .immediate()
}

function parseConfig(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return {}
  try {
    const value: unknown = JSON.parse(text)
    return isRecord(value) ? value : undefined
  } catch {
    return undefined
  }
}

export function extendLeases(db: Database, owner: string, until: number): number {
  return sql(db, `UPDATE jobs SET lease_expires_at = ? WHERE state = 'active' AND lease_owner = ?`).run(until, owner).changes
}

export function leaseOwners(db: Database): string[] {
  const rows = sql(db, `SELECT DISTINCT lease_owner FROM jobs WHERE state = 'active' AND lease_expires_at IS NOT NULL`).all() as {
    lease_owner: string | null
  }[]
  return rows.flatMap((row) => (row.lease_owner ? [row.lease_owner] : []))
}

export function lostLeases(db: Database, owner: string, ids: number[]): number[] {
  if (ids.length === 0) return []
  const held = sql(db, `SELECT j.id FROM json_each(?) AS e JOIN jobs AS j ON j.id = e.value WHERE j.state = 'active' AND j.lease_owner = ?`)
    .pluck()
    .all(JSON.stringify(ids), owner) as number[]
  const stillHeld = new Set(held)
  return ids.filter((id) => !stillHeld.has(id))
}

interface StalledRow {
  id: number
  attempts_made: number
  stalled_count: number
  started_at: number | null
  lease_owner: string | null
  provider: string
  model: string | null
  batch_id: number | null
  tags: string | null
}

const STALLED_COLUMNS = 'id, attempts_made, stalled_count, started_at, lease_owner, provider, model, batch_id, tags'

/** Most stalled jobs handled in one transaction; the rest wait for the next sweep. */
const RECOVER_SLICE = 500

export const EXPIRED_LEASES = `SELECT ${STALLED_COLUMNS} FROM jobs INDEXED BY jobs_by_state
  WHERE state = 'active' AND lease_expires_at < ? LIMIT ?`

export function recoverStalled(db: Database, { now, maxStalled, deadOwners = [] }: RecoverOptions): JobChange[] {
  return db
    .transaction(() => {
      const expired = sql(db, EXPIRED_LEASES).all(now, RECOVER_SLICE) as StalledRow[]
      const orphaned = deadOwners.flatMap(
        (owner) =>
          sql(
            db,
            `SELECT ${STALLED_COLUMNS} FROM jobs
          WHERE state = 'active' AND lease_owner = ? AND lease_expires_at >= ? LIMIT ?`,
          ).all(owner, now, RECOVER_SLICE) as StalledRow[],
      )
      const changes: JobChange[] = []
      const deltas: CountDeltas = {}
      // A stall is a failed attempt to the rollups (the dashboard's failures, the failure-rate alert): nothing is known of its tokens.
      const usage: SettledAttempt[] = []
      for (const row of [...expired, ...orphaned]) {
        const stalls = row.stalled_count + 1
        const reason = deadOwners.includes(row.lease_owner ?? '')
          ? 'the process running it ended (crash or kill) before the attempt finished'
          : 'its lease expired: the process running it stopped or hung'
        const dead = stalls > maxStalled
        const detail = dead ? `${reason}; stalled ${stalls} times, more than the limit of ${maxStalled}` : reason
        sql(
          db,
          `UPDATE jobs SET state = ?, stalled_count = ?, run_at = CASE WHEN ? THEN run_at ELSE ? END,
          finished_at = CASE WHEN ? THEN ? ELSE NULL END, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL,
          error_category = 'TIMEOUT', last_error = ? WHERE id = ?`,
        ).run(dead ? 'dead' : 'queued', stalls, dead ? 1 : 0, now, dead ? 1 : 0, now, now, detail, row.id)
        sql(
          db,
          `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, error, error_severity)
        VALUES (?, ?, ?, ?, 'stalled', 'TIMEOUT', ?, '${ERROR_CATEGORIES.TIMEOUT.severity}')`,
        ).run(row.id, row.attempts_made, row.started_at ?? now, now, reason)
        recordFailure(db, row.id, 'TIMEOUT', reason, now)
        recordEvent(db, row.id, now, 'active', dead ? 'dead' : 'queued', detail)
        usage.push({
          endedAt: now,
          provider: row.provider,
          kind: '',
          model: row.model,
          batchId: row.batch_id,
          tags: row.tags,
          outcome: dead ? 'dead' : 'failed',
          category: 'TIMEOUT',
          inputTokens: null,
          outputTokens: null,
          costUsd: 0,
          durationMs: now - (row.started_at ?? now),
        })
        addCount(deltas, 'active', -1)
        addCount(deltas, dead ? 'dead' : 'queued', 1)
        changes.push({ id: row.id, state: dead ? 'dead' : 'queued', attemptsMade: row.attempts_made })
      }
      adjustCounts(db, deltas)
      recordUsage(db, usage)
      release(
        db,
        changes.map((change) => change.id),
      )
      return changes
    })
    .immediate()
}
