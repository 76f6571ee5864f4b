/**
 * What an operator does to jobs: cancel, retry, delete, clean, and the retention that
 * keeps the file from growing without bound. Bulk work runs in bounded slices, one
 * transaction each, so no single call holds the main thread or the write lock for long.
 */
import type { Database } from 'better-sqlite3'
import { OperationError, type JobChange } from '../../../../shared/contract'
import { ERROR_CATEGORIES } from '../../../../shared/errors'
import type { JobSummary, StoredState } from '../../../../shared/jobs'
import { sql } from '../db/connection'
import type { RetentionPolicy } from '../../../queue/store'
import { awaitingABill, NOT_AWAITING_A_BILL } from '../../provider-batch-rows'
import { adjustCounts, readSummary, recordEvent, shownState } from './rows'

const SLICE = 2000

function currentRow(db: Database, id: number) {
  const row = sql(
    db,
    `SELECT j.state, j.run_at, j.attempts_made, j.started_at, j.batch_id, j.provider_batch_id, j.batch_line, b.loading_owner IS NOT NULL AS loading
    FROM jobs j LEFT JOIN batches b ON b.id = j.batch_id WHERE j.id = ?`,
  ).get(id) as
    | {
        state: StoredState
        run_at: number
        attempts_made: number
        started_at: number | null
        batch_id: number | null
        provider_batch_id: number | null
        batch_line: string | null
        loading: 0 | 1
      }
    | undefined
  if (!row) throw new OperationError('NOT_FOUND', `job ${id} does not exist`)
  notLoading(id, row)
  return row
}

/** A job of a batch still loading (sqlite/load.ts) is not counted yet: changing it now would throw the counts off. */
function notLoading(id: number, row: { batch_id: number | null; loading: 0 | 1 }): void {
  if (row.loading) throw new OperationError('CONFLICT', `job ${id} belongs to batch ${row.batch_id}, which is still being enqueued: try again once it is`)
}

/**
 * Cancels a queued job at once. An active job is cancelled in the database first (its
 * result, if one still comes, is then ignored) and the caller stops its worker.
 */
export function cancelJob(db: Database, id: number, now: number): { job: JobSummary; change: JobChange | null; wasActive: boolean } {
  return db
    .transaction(() => {
      const row = currentRow(db, id)
      // A submitted job's line stays in its provider batch: its answer, when it comes, is not the job's result, but billed (below).
      if (row.state !== 'queued' && row.state !== 'active' && row.state !== 'submitted') {
        throw new OperationError('CONFLICT', `job ${id} is already ${row.state}: only queued, submitted and active jobs can be cancelled`)
      }
      sql(
        db,
        `UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL,
      error_category = 'CANCELLED', last_error = 'cancelled by the operator' WHERE id = ?`,
      ).run(now, now, id)
      if (row.state === 'active') {
        sql(
          db,
          `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, error, error_severity)
        VALUES (?, ?, ?, ?, 'cancelled', 'CANCELLED', 'cancelled by the operator', '${ERROR_CATEGORIES.CANCELLED.severity}')`,
        ).run(id, row.attempts_made, row.started_at ?? now, now)
      }
      if (row.state === 'submitted') {
        // The line's attempt, held by its provider batch and line: the provider's answer fills in what it billed (billCancelled).
        sql(
          db,
          `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, error, error_severity, provider_batch_id, batch_line)
        VALUES (?, ?, ?, ?, 'cancelled', 'CANCELLED', 'cancelled by the operator while its line waited in a provider batch', '${ERROR_CATEGORIES.CANCELLED.severity}', ?, ?)`,
        ).run(id, row.attempts_made, row.started_at ?? now, now, row.provider_batch_id, row.batch_line)
      }
      recordEvent(db, id, now, shownState(row.state, row.run_at, now), 'cancelled', 'cancelled by the operator')
      adjustCounts(db, { [row.state]: -1, cancelled: 1 })
      return { job: readSummary(db, id, now)!, change: { id, state: 'cancelled' as const, attemptsMade: row.attempts_made }, wasActive: row.state === 'active' }
    })
    .immediate()
}

/** Sends a finished job back to the queue with fresh attempts. */
export function retryJob(db: Database, id: number, now: number, from: readonly StoredState[]): { job: JobSummary; change: JobChange } {
  return db
    .transaction(() => {
      const row = currentRow(db, id)
      if (!from.includes(row.state)) {
        throw new OperationError('CONFLICT', `job ${id} is ${row.state}: only ${from.join(' or ')} jobs can be retried here`)
      }
      requeue(db, id, now)
      recordEvent(db, id, now, row.state, 'queued', 'retried by the operator')
      adjustCounts(db, { [row.state]: -1, queued: 1 })
      return { job: readSummary(db, id, now)!, change: { id, state: 'queued' as const, attemptsMade: 0 } }
    })
    .immediate()
}

function requeue(db: Database, id: number, now: number): void {
  sql(
    db,
    `UPDATE jobs SET state = 'queued', run_at = ?, updated_at = ?, finished_at = NULL, attempts_made = 0,
    stalled_count = 0, auth_refunds = 0, last_error = NULL, error_category = NULL, output = NULL WHERE id = ?`,
  ).run(now, now, id)
}

/** Every dead job back to the queue with fresh attempts, a slice per transaction. */
export function retryAllDead(db: Database, now: number): number {
  let retried = 0
  for (;;) {
    const moved = db
      .transaction(() => {
        const ids = sql(db, `SELECT id FROM jobs WHERE state = 'dead' ORDER BY id LIMIT ?`).pluck().all(SLICE) as number[]
        for (const id of ids) {
          requeue(db, id, now)
          recordEvent(db, id, now, 'dead', 'queued', 'retried by the operator (all dead jobs)')
        }
        adjustCounts(db, { dead: -ids.length, queued: ids.length })
        return ids.length
      })
      .immediate()
    retried += moved
    if (moved < SLICE) return retried
  }
}

export function removeJob(db: Database, id: number): boolean {
  return db
    .transaction(() => {
      const row = sql(
        db,
        'SELECT j.state, j.batch_id, b.loading_owner IS NOT NULL AS loading FROM jobs j LEFT JOIN batches b ON b.id = j.batch_id WHERE j.id = ?',
      ).get(id) as { state: StoredState; batch_id: number | null; loading: 0 | 1 } | undefined
      if (!row) return false
      notLoading(id, row)
      if (row.state === 'active' || row.state === 'submitted')
        throw new OperationError('CONFLICT', `job ${id} is ${row.state === 'active' ? 'running' : 'in a provider batch'}: cancel it before deleting it`)
      if (sql(db, `SELECT ${NOT_AWAITING_A_BILL} FROM jobs WHERE id = ?`).pluck().get(id) === 0) throw awaitingABill(id)
      sql(db, 'DELETE FROM jobs WHERE id = ?').run(id)
      adjustCounts(db, { [row.state]: -1 })
      return true
    })
    .immediate()
}

export const FINISHED_BEFORE = `jobs INDEXED BY jobs_finished WHERE state = @state AND finished_at < @olderThan AND ${NOT_AWAITING_A_BILL}`
const OLDEST_BEYOND = `jobs WHERE state = @state AND id <= @cutoff AND ${NOT_AWAITING_A_BILL}`

/** Removes finished jobs of a state that finished before `olderThan`; returns how many. */
export function cleanJobs(db: Database, state: 'completed' | 'dead' | 'cancelled', olderThan: number, budget = Infinity): number {
  return deleteInSlices(db, state, FINISHED_BEFORE, { state, olderThan }, budget)
}

/** Most jobs one retention pass removes; the next pass takes the rest. */
const RETENTION_BUDGET = 10_000

export function applyRetention(db: Database, policy: RetentionPolicy, now: number): number {
  let removed = 0
  for (const [state, rule] of Object.entries(policy) as [keyof RetentionPolicy, RetentionPolicy[keyof RetentionPolicy]][]) {
    removed += cleanJobs(db, state, now - rule.maxAgeMs, RETENTION_BUDGET - removed)
    const count = sql(db, 'SELECT n FROM job_counts WHERE state = ?').pluck().get(state) as number
    if (count <= rule.maxCount) continue
    const cutoff = sql(db, 'SELECT id FROM jobs WHERE state = ? ORDER BY id DESC LIMIT 1 OFFSET ?').pluck().get(state, rule.maxCount) as number | undefined
    if (cutoff !== undefined) removed += deleteInSlices(db, state, OLDEST_BEYOND, { state, cutoff }, RETENTION_BUDGET - removed)
  }
  return removed
}

/** `source` is the FROM and WHERE of the jobs to delete. */
function deleteInSlices(db: Database, state: StoredState, source: string, args: Record<string, string | number>, budget: number): number {
  let removed = 0
  const remove = sql(db, `DELETE FROM jobs WHERE id IN (SELECT id FROM ${source} LIMIT @slice)`)
  while (removed < budget) {
    const slice = Math.min(SLICE, budget - removed)
    const changes = db
      .transaction(() => {
        const n = remove.run({ ...args, slice }).changes
        adjustCounts(db, { [state]: -n })
        return n
      })
      .immediate()
    removed += changes
    if (changes < slice) break
  }
  return removed
}
