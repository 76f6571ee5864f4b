/**
 * What an operator does to jobs on PostgreSQL: cancel, retry, delete, clean, and the
 * retention that keeps the tables from growing without bound. Deletions run in slices, one
 * statement each, passing over rows another engine holds: none holds locks for long.
 */
import type pg from 'pg'
import { OperationError, type JobChange } from '../../../shared/contract'
import { ERROR_CATEGORIES } from '../../../shared/errors'
import type { JobSummary, StoredState } from '../../../shared/jobs'
import { shownState, SUMMARY_COLUMNS, toSummary, type JobRow } from '../sqlite/queue/rows'
import type { RetentionPolicy } from '../../queue/store'
import { StateTally } from '../sqlite/queue/state-tally'
import { batchCountsUpsert, writeMoves } from './batch-counts'
import { countsUpsert, COUNT_SHARDS, finishChange } from './counts'
import { lockJobs, writeTransitions, type LockedJob } from './transitions'
import { awaitingABill, NOT_AWAITING_A_BILL } from '../provider-batch-rows'

const SLICE = 2000
/** Most jobs one retention pass removes; the next pass takes the rest. */
const RETENTION_BUDGET = 10_000
const BY_OPERATOR = 'cancelled by the operator'

async function lockedJob(client: pg.ClientBase, id: number): Promise<LockedJob> {
  const [job] = await lockJobs(client, 'id = $1', [id])
  if (!job) throw new OperationError('NOT_FOUND', `job ${id} does not exist`)
  return job
}

async function readSummary(client: pg.ClientBase, id: number, now: number): Promise<JobSummary> {
  const { rows } = await client.query<JobRow>(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE id = $1`, [id])
  return toSummary(rows[0]!, now)
}

/**
 * Cancels a queued job at once. An active job is cancelled in the database first (its
 * result, when one still comes, is then ignored by settle) and the caller stops its worker.
 */
export async function cancelJob(
  client: pg.ClientBase,
  source: string,
  id: number,
  now: number,
): Promise<{ job: JobSummary; change: JobChange | null; wasActive: boolean }> {
  const job = await lockedJob(client, id)
  // A submitted job's line stays in its provider batch (paid for there); its answer, when it comes, is ignored.
  if (job.state !== 'queued' && job.state !== 'active' && job.state !== 'submitted') {
    throw new OperationError('CONFLICT', `job ${id} is already ${job.state}: only queued, submitted and active jobs can be cancelled`)
  }
  const wasActive = job.state === 'active'
  await writeTransitions(
    client,
    [
      {
        job: { ...job, state: 'cancelled', finished_at: now, error_category: 'CANCELLED', last_error: BY_OPERATOR },
        from: shownState(job.state, job.run_at, now),
        at: now,
        detail: BY_OPERATOR,
      },
    ],
    wasActive
      ? [
          {
            jobId: id,
            number: job.attempts_made,
            startedAt: job.started_at ?? now,
            endedAt: now,
            outcome: 'cancelled',
            errorCategory: 'CANCELLED',
            error: BY_OPERATOR,
            errorSeverity: ERROR_CATEGORIES.CANCELLED.severity,
          },
        ]
      : [],
    source,
    'changed',
  )
  if (job.state === 'submitted') {
    // The line's attempt, held by its provider batch and line: the provider's answer fills in what it billed (billCancelled).
    await client.query(
      `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, error, error_severity, provider_batch_id, batch_line)
      SELECT id, attempts_made, coalesce(started_at, $2), $2, 'cancelled', 'CANCELLED', $3, $4, provider_batch_id, batch_line FROM jobs WHERE id = $1`,
      [id, now, `${BY_OPERATOR} while its line waited in a provider batch`, ERROR_CATEGORIES.CANCELLED.severity],
    )
  }
  return { job: await readSummary(client, id, now), change: { id, state: 'cancelled', attemptsMade: job.attempts_made }, wasActive }
}

/** Sends a finished job back to the queue with fresh attempts. */
export async function retryJob(
  client: pg.ClientBase,
  source: string,
  id: number,
  now: number,
  from: readonly StoredState[],
): Promise<{ job: JobSummary; change: JobChange }> {
  const job = await lockedJob(client, id)
  if (!from.includes(job.state)) throw new OperationError('CONFLICT', `job ${id} is ${job.state}: only ${from.join(' or ')} jobs can be retried here`)
  await client.query(
    `UPDATE jobs SET state = 'queued', run_at = $2, updated_at = $2, finished_at = NULL, attempts_made = 0, stalled_count = 0, auth_refunds = 0,
      last_error = NULL, error_category = NULL, output = NULL WHERE id = $1`,
    [id, now],
  )
  await client.query(`INSERT INTO job_events (job_id, at, from_state, to_state, detail) VALUES ($1, $2, $3, 'queued', 'retried by the operator')`, [
    id,
    now,
    job.state,
  ])
  const tally = new StateTally()
  tally.moved(job, job.state, 'queued', now)
  await writeMoves(client, tally)
  await finishChange(client, { [job.state]: -1, queued: 1 }, source, 'changed')
  return { job: await readSummary(client, id, now), change: { id, state: 'queued', attemptsMade: 0 } }
}

export async function removeJob(client: pg.ClientBase, source: string, id: number): Promise<boolean> {
  const [job] = await lockJobs(client, 'id = $1', [id])
  if (!job) return false
  if (job.state === 'active' || job.state === 'submitted')
    throw new OperationError('CONFLICT', `job ${id} is ${job.state === 'active' ? 'running' : 'in a provider batch'}: cancel it before deleting it`)
  const { rows: free } = await client.query<{ free: boolean }>(`SELECT ${NOT_AWAITING_A_BILL} AS free FROM jobs WHERE id = $1`, [id])
  if (!free[0]!.free) throw awaitingABill(id)
  await client.query('DELETE FROM jobs WHERE id = $1', [id])
  if (job.batch_id !== null) {
    const tally = new StateTally()
    tally.added(job.batch_id, job.state, -1)
    await writeMoves(client, tally)
  }
  await finishChange(client, { [job.state]: -1 }, source, 'removed')
  return true
}

// One slice: the rows are locked as they are picked (passing over those another transaction
// holds), deleted, and taken off the counters and their batches' counts, in one statement.
const DELETE_SLICE = (where: string) => `WITH gone AS (
    DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = $1 AND ${where} AND ${NOT_AWAITING_A_BILL} ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
      AND state = $1
    RETURNING id, batch_id),
  counted AS (${countsUpsert('SELECT $1::text, -count(*) FROM gone', '$4::smallint')}),
  batch_counted AS (${batchCountsUpsert('SELECT batch_id, $1::text, -count(*) FROM gone WHERE batch_id IS NOT NULL GROUP BY batch_id', '$4::smallint')})
  SELECT count(*) AS n FROM gone`
const FINISHED_BEFORE = DELETE_SLICE('finished_at < $2')
const OLDEST_BEYOND = DELETE_SLICE('id <= $2')

async function deleteInSlices(pool: pg.Pool, statement: string, state: StoredState, bound: number, budget: number): Promise<number> {
  let removed = 0
  while (removed < budget) {
    const slice = Math.min(SLICE, budget - removed)
    const { rows } = await pool.query<{ n: number }>(statement, [state, bound, slice, Math.floor(Math.random() * COUNT_SHARDS)])
    removed += rows[0]!.n
    if (rows[0]!.n < slice) break
  }
  return removed
}

/** Removes jobs of a finished state that finished before `olderThan`; returns how many. */
export function cleanJobs(pool: pg.Pool, state: 'completed' | 'dead' | 'cancelled', olderThan: number, budget = Infinity): Promise<number> {
  return deleteInSlices(pool, FINISHED_BEFORE, state, olderThan, budget)
}

export async function applyRetention(pool: pg.Pool, policy: RetentionPolicy, now: number): Promise<number> {
  let removed = 0
  for (const [state, rule] of Object.entries(policy) as [keyof RetentionPolicy, RetentionPolicy[keyof RetentionPolicy]][]) {
    removed += await cleanJobs(pool, state, now - rule.maxAgeMs, RETENTION_BUDGET - removed)
    const { rows: kept } = await pool.query<{ n: number | null }>('SELECT sum(n)::bigint AS n FROM job_counts WHERE state = $1', [state])
    if ((kept[0]?.n ?? 0) <= rule.maxCount) continue
    // The newest maxCount stay: the id past them, by the state's index, is where deleting starts.
    const { rows } = await pool.query<{ id: number }>('SELECT id FROM jobs WHERE state = $1 ORDER BY id DESC OFFSET $2 LIMIT 1', [state, rule.maxCount])
    if (rows[0]) removed += await deleteInSlices(pool, OLDEST_BEYOND, state, rows[0].id, RETENTION_BUDGET - removed)
  }
  return removed
}
