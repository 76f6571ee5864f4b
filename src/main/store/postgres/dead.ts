/**
 * The dead-letter queue on PostgreSQL: dead jobs listed and counted by category, provider
 * and batch, sent back with fresh attempts or purged, by id or by filter. Bulk work walks
 * the matching jobs in id order, a slice per transaction, locking each slice's rows in id
 * order as every transition does; a move goes through transitions.ts, so counts, events
 * and the notice are written as for any other change of state.
 */
import type pg from 'pg'
import type { DeadFilter, DeadJob, DeadStats } from '../../../shared/failures'
import type { DeadListOptions, DeadSelection } from '../../queue/store'
import { describe } from '../sqlite/queue/dead'
import { SUMMARY_COLUMNS, toSummary, type JobRow } from '../sqlite/queue/rows'
import { StateTally } from '../sqlite/queue/state-tally'
import { writeMoves } from './batch-counts'
import { finishChange } from './counts'
import { inTransaction, type Queryable } from './transaction'
import { lockJobs, writeTransitions, type LockedJob } from './transitions'

const SLICE = 2000

/** The conditions on dead jobs a filter sets, parameters pushed onto `params`; partial indexes on dead jobs answer them (0002). */
function deadWhere({ category, provider, batchId }: DeadFilter, params: unknown[]): string {
  const where = [`state = 'dead'`]
  if (category !== undefined) where.push(`error_category = $${params.push(category)}`)
  if (provider !== undefined) where.push(`provider = $${params.push(provider)}`)
  if (batchId !== undefined) where.push(`batch_id = $${params.push(batchId)}`)
  return where.join(' AND ')
}

/** What the job's last attempt stored: its severity and the model it ran (one index search a listed job). */
const LAST_ATTEMPT = ['error_severity', 'model']
  .map((column) => `(SELECT ${column} FROM job_attempts a WHERE a.job_id = jobs.id ORDER BY a.id DESC LIMIT 1) AS last_${column}`)
  .join(', ')

/** The newest dead jobs first, a page at a time (keyset paging on id). */
export function deadListStatement({ beforeId, limit, ...filter }: DeadListOptions): { text: string; params: unknown[] } {
  const params: unknown[] = []
  let where = deadWhere(filter, params)
  if (beforeId !== undefined) where += ` AND id < $${params.push(beforeId)}`
  return { text: `SELECT ${SUMMARY_COLUMNS}, error_category, ${LAST_ATTEMPT} FROM jobs WHERE ${where} ORDER BY id DESC LIMIT $${params.push(limit)}`, params }
}

type DeadRow = JobRow & { error_category: string | null; last_error_severity: DeadJob['severity']; last_model: string | null }

export async function listDead(client: Queryable, options: DeadListOptions, now: number): Promise<DeadJob[]> {
  const { text, params } = deadListStatement(options)
  const { rows } = await client.query<DeadRow>(text, params)
  return rows.map((row) => ({ ...toSummary(row, now), errorCategory: row.error_category, severity: row.last_error_severity, ranModel: row.last_model }))
}

// One statement, so the three figures are of one snapshot. Ordered by key first (a null category first, as SQLite's
// index gives them), then most first in code: ties keep SQLite's order.
const DEAD_STATS = `SELECT
    (SELECT coalesce(sum(n), 0)::bigint FROM job_counts WHERE state = 'dead') AS total,
    (SELECT coalesce(json_agg(json_build_object('category', category, 'count', count) ORDER BY category COLLATE "C" NULLS FIRST), '[]')
      FROM (SELECT error_category AS category, count(*) AS count FROM jobs WHERE state = 'dead' GROUP BY error_category) c) AS "byCategory",
    (SELECT coalesce(json_agg(json_build_object('provider', provider, 'count', count) ORDER BY provider COLLATE "C"), '[]')
      FROM (SELECT provider, count(*) AS count FROM jobs WHERE state = 'dead' GROUP BY provider) p) AS "byProvider"`

/** Counts by category and provider, from the dead-only indexes. */
export async function deadStats(client: Queryable): Promise<DeadStats> {
  const { rows } = await client.query<DeadStats>(DEAD_STATS)
  const { total, byCategory, byProvider } = rows[0]!
  const most = <T extends { count: number }>(list: T[]) => list.sort((a, b) => b.count - a.count)
  return { total, byCategory: most(byCategory), byProvider: most(byProvider) }
}

/** Locks the next slice of the selected dead jobs after `after`, in id order. */
function lockSlice(client: pg.ClientBase, selection: DeadSelection, after: number): Promise<LockedJob[]> {
  const params: unknown[] = [after]
  const where = 'ids' in selection ? `id = ANY($${params.push(selection.ids)}::bigint[]) AND state = 'dead'` : deadWhere(selection.where, params)
  return lockJobs(client, `${where} AND id > $1`, params, { limit: SLICE })
}

/**
 * Runs `change` on each slice of the selected dead jobs, one transaction a slice; returns
 * how many it took. A job that left the dead state while its slice waited for its lock is
 * passed over, so a slice may come back short: only an empty one ends the walk.
 */
async function inSlices(pool: pg.Pool, selection: DeadSelection, change: (client: pg.PoolClient, jobs: LockedJob[]) => Promise<void>): Promise<number> {
  let after = 0
  let total = 0
  for (;;) {
    const last = await inTransaction(pool, async (client) => {
      const jobs = await lockSlice(client, selection, after)
      if (jobs.length) await change(client, jobs)
      return { n: jobs.length, at: jobs.at(-1)?.id }
    })
    if (last.at === undefined) return total
    total += last.n
    after = last.at
  }
}

/** Sends the selected dead jobs back to the queue with fresh attempts (their full max_attempts again). */
export function retryDead(pool: pg.Pool, source: string, selection: DeadSelection, now: number): Promise<number> {
  const detail = `retried by the operator (${describe(selection)})`
  return inSlices(pool, selection, (client, jobs) =>
    writeTransitions(
      client,
      jobs.map((job) => ({
        job: {
          ...job,
          state: 'queued',
          run_at: now,
          finished_at: null,
          attempts_made: 0,
          stalled_count: 0,
          auth_refunds: 0,
          last_error: null,
          error_category: null,
          output: null,
        },
        from: 'dead',
        at: now,
        detail,
      })),
      [],
      source,
      'changed',
    ),
  )
}

/** Every dead job back to the queue: the same as a retry of all dead jobs. */
export function retryAllDead(pool: pg.Pool, source: string, now: number): Promise<number> {
  return retryDead(pool, source, { where: {} }, now)
}

/** Deletes the selected dead jobs with their attempts and events; their failure groups and regression cases stay. */
export function purgeDead(pool: pg.Pool, source: string, selection: DeadSelection): Promise<number> {
  return inSlices(pool, selection, async (client, jobs) => {
    await client.query('DELETE FROM jobs WHERE id = ANY($1::bigint[])', [jobs.map((job) => job.id)])
    // Their batches' counts lose them too, as SQLite's delete trigger takes them off.
    const tally = new StateTally()
    for (const job of jobs) if (job.batch_id !== null) tally.added(job.batch_id, 'dead', -1)
    await writeMoves(client, tally)
    await finishChange(client, { dead: -jobs.length }, source, 'removed')
  })
}
