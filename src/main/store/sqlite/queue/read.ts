/** Reads for the screens and the CLI: counts and one job in detail (pages of jobs: list.ts). */
import type { Database } from 'better-sqlite3'
import type { JobDetail, QueueStats, StoredState } from '../../../../shared/jobs'
import { sql } from '../db/connection'
import { jobProviderBatch } from './provider-batches'
import { ATTEMPT_COLUMNS, EVENT_COLUMNS, toJobDetail, type AttemptRow, type EventRow } from '../../job-detail'
import { LOADING_IDS, NOT_LOADING } from './load'
import type { JobRow } from './rows'

/** Delayed real-time jobs plus delayed batch-lane jobs (a retry's backoff), each a range of its own ready index. */
const delayedCount = (where = '') => `SELECT
    (SELECT count(*) FROM jobs INDEXED BY jobs_ready WHERE state = 'queued' AND lane = 'realtime' AND priority IN (0, 1, 2) AND run_at > @now${where})
  + (SELECT count(*) FROM jobs INDEXED BY jobs_batch_lane WHERE state = 'queued' AND lane = 'batch' AND run_at > @now${where})`

/** Answered by the indexes alone. */
export const DELAYED_COUNT = delayedCount()

/** While a batch loads: its jobs are left out, as the kept counts leave them out, at the cost of reading each delayed job's row. */
export const DELAYED_COUNT_WHILE_LOADING = delayedCount(` AND ${NOT_LOADING}`)

export function queueStats(db: Database, now: number): QueueStats {
  const stored = Object.fromEntries(
    (sql(db, 'SELECT state, n FROM job_counts').all() as { state: StoredState; n: number }[]).map((row) => [row.state, row.n]),
  ) as Record<StoredState, number>
  // Only the delayed part of the queue is counted, by a range of the ready index per priority.
  const delayed = sql(db, sql(db, LOADING_IDS).get() === undefined ? DELAYED_COUNT : DELAYED_COUNT_WHILE_LOADING)
  return statsOf(stored, delayed.pluck().get({ now }) as number, isPaused(db))
}

/** The stats as shown, from the kept counts by stored state and the delayed part of the queued (either store's). */
export function statsOf(stored: Partial<Record<StoredState, number>>, delayed: number, paused: boolean): QueueStats {
  return {
    counts: {
      queued: (stored.queued ?? 0) - delayed,
      delayed,
      submitted: stored.submitted ?? 0,
      active: stored.active ?? 0,
      completed: stored.completed ?? 0,
      dead: stored.dead ?? 0,
      cancelled: stored.cancelled ?? 0,
    },
    paused,
  }
}

export function isPaused(db: Database): boolean {
  return sql(db, `SELECT value FROM queue_settings WHERE key = 'paused'`).pluck().get() === '1'
}

export function setPaused(db: Database, paused: boolean): void {
  sql(db, `INSERT INTO queue_settings (key, value) VALUES ('paused', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(paused ? '1' : '0')
}

export function getJob(db: Database, id: number, now: number): JobDetail | null {
  const row = sql(db, `SELECT * FROM jobs WHERE id = ? AND ${NOT_LOADING}`).get(id) as JobRow | undefined
  if (!row) return null
  const events = sql(db, `SELECT ${EVENT_COLUMNS} FROM job_events WHERE job_id = ? ORDER BY id`).all(id) as EventRow[]
  const attempts = sql(db, `SELECT ${ATTEMPT_COLUMNS} FROM job_attempts WHERE job_id = ? ORDER BY id`).all(id) as AttemptRow[]
  return { ...toJobDetail(row, events, attempts, now), providerBatch: jobProviderBatch(db, id) }
}
