/** Reads for the screens and the CLI on PostgreSQL: counts, the paused switch, and one job in detail. */
import type { JobProviderBatch } from '../../provider-batches/store'
import type { Queryable } from './transaction'
import type { JobDetail, QueueStats, StoredState } from '../../../shared/jobs'
import { statsOf } from '../sqlite/queue/read'
import type { JobRow } from '../sqlite/queue/rows'
import { ATTEMPT_COLUMNS, EVENT_COLUMNS, toJobDetail, type AttemptRow, type EventRow } from '../job-detail'

// The kept counters, summed over their shards, and the delayed part of the queue by a range of
// the ready index per priority (and of the batch lane's): no statement here reads more than the jobs waiting for later.
export const STATS = `SELECT
    (SELECT coalesce(json_object_agg(state, n), '{}') FROM (SELECT state, sum(n) AS n FROM job_counts GROUP BY state) s) AS counts,
    (SELECT count(*) FROM jobs WHERE state = 'queued' AND lane = 'realtime' AND priority = ANY('{0,1,2}'::smallint[]) AND run_at > $1)
      + (SELECT count(*) FROM jobs WHERE state = 'queued' AND lane = 'batch' AND run_at > $1) AS delayed,
    (SELECT value FROM queue_settings WHERE key = 'paused') AS paused`

export async function queueStats(client: Queryable, now: number): Promise<QueueStats> {
  const { rows } = await client.query<{ counts: Partial<Record<StoredState, number>>; delayed: number; paused: string | null }>(STATS, [now])
  const { counts: stored, delayed, paused } = rows[0]!
  return statsOf(stored, delayed, paused === '1')
}

export async function isPaused(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ value: string }>(`SELECT value FROM queue_settings WHERE key = 'paused'`)
  return rows[0]?.value === '1'
}

export async function setPaused(client: Queryable, paused: boolean): Promise<void> {
  await client.query(`INSERT INTO queue_settings (key, value) VALUES ('paused', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
    paused ? '1' : '0',
  ])
}

/** A job's row with its JSON columns as text, the shape the SQLite store's readers parse (store/sqlite/queue/rows.ts). */
export const JOB_ROW = `id, state, priority, run_at, created_at, started_at, finished_at, batch_id, provider, model, prompt,
  config::text AS config, tags::text AS tags, idempotency_key, attempts_made, max_attempts, stalled_count, lease_owner, last_error, output, artifact`

export async function getJob(client: Queryable, id: number, now: number): Promise<JobDetail | null> {
  const { rows } = await client.query<JobRow>(`SELECT ${JOB_ROW} FROM jobs WHERE id = $1`, [id])
  const row = rows[0]
  if (!row) return null
  const { rows: events } = await client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM job_events WHERE job_id = $1 ORDER BY id`, [id])
  const { rows: attempts } = await client.query<AttemptRow>(`SELECT ${ATTEMPT_COLUMNS} FROM job_attempts WHERE job_id = $1 ORDER BY id`, [id])
  const { rows: sent } = await client.query<JobProviderBatch>(
    `SELECT b.id, b.remote_id AS "remoteId", b.state, b.remote_status AS "remoteStatus" FROM jobs j JOIN provider_batches b ON b.id = j.provider_batch_id WHERE j.id = $1`,
    [id],
  )
  return { ...toJobDetail(row, events, attempts, now), providerBatch: sent[0] ?? null }
}
