/** Reads for the screens and the CLI: counts and one job in detail (pages of jobs: list.ts). */
import type { Database } from 'better-sqlite3'
import type { JobDetail, JobEvent, JobAttempt, QueueStats, StoredState } from '../../../shared/jobs'
import { sql } from '../../db/connection'
import { jobProviderBatch } from './provider-batches'
import { isRecord, isStringArray, parseJsonColumn, shownState, toSummary, type JobRow } from './rows'

/** Delayed real-time jobs plus delayed batch-lane jobs (a retry's backoff), each a range of its own ready index. */
export const DELAYED_COUNT = `SELECT (SELECT count(*) FROM jobs INDEXED BY jobs_ready WHERE state = 'queued' AND lane = 'realtime' AND priority IN (0, 1, 2) AND run_at > @now)
  + (SELECT count(*) FROM jobs INDEXED BY jobs_batch_lane WHERE state = 'queued' AND lane = 'batch' AND run_at > @now)`

export function queueStats(db: Database, now: number): QueueStats {
  const stored = Object.fromEntries(
    (sql(db, 'SELECT state, n FROM job_counts').all() as { state: StoredState; n: number }[]).map((row) => [row.state, row.n]),
  ) as Record<StoredState, number>
  // Only the delayed part of the queue is counted, by a range of the ready index per priority.
  const delayed = sql(db, DELAYED_COUNT).pluck().get({ now }) as number
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
    paused: isPaused(db),
  }
}

export function isPaused(db: Database): boolean {
  return sql(db, `SELECT value FROM queue_settings WHERE key = 'paused'`).pluck().get() === '1'
}

export function setPaused(db: Database, paused: boolean): void {
  sql(db, `INSERT INTO queue_settings (key, value) VALUES ('paused', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(paused ? '1' : '0')
}

export function getJob(db: Database, id: number, now: number): JobDetail | null {
  const row = sql(db, 'SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined
  if (!row) return null
  const events = (
    sql(db, 'SELECT at, from_state, to_state, detail FROM job_events WHERE job_id = ? ORDER BY id').all(id) as {
      at: number
      from_state: JobEvent['to']
      to_state: JobEvent['to']
      detail: string | null
    }[]
  ).map((event): JobEvent => ({ at: event.at, from: event.from_state, to: event.to_state, detail: event.detail }))
  const attempts = (
    sql(
      db,
      `SELECT number, started_at, ended_at, outcome, error_category, error, input_tokens, output_tokens, ran_on, model, error_severity, error_stack, cached,
        cached_input_tokens, cache_write_tokens
      FROM job_attempts WHERE job_id = ? ORDER BY id`,
    ).all(id) as {
      number: number
      started_at: number
      ended_at: number
      outcome: JobAttempt['outcome']
      error_category: string | null
      error: string | null
      input_tokens: number | null
      output_tokens: number | null
      ran_on: string | null
      model: string | null
      error_severity: JobAttempt['severity']
      error_stack: string | null
      cached: number
      cached_input_tokens: number
      cache_write_tokens: number
    }[]
  ).map((a): JobAttempt => ({
    number: a.number,
    startedAt: a.started_at,
    endedAt: a.ended_at,
    outcome: a.outcome,
    errorCategory: a.error_category,
    error: a.error,
    inputTokens: a.input_tokens,
    outputTokens: a.output_tokens,
    ranOn: a.ran_on,
    model: a.model,
    severity: a.error_severity,
    stack: a.error_stack,
    ...(a.cached ? { cached: true as const } : {}),
    ...(a.cached_input_tokens > 0 ? { cachedInputTokens: a.cached_input_tokens } : {}),
    ...(a.cache_write_tokens > 0 ? { cacheWriteTokens: a.cache_write_tokens } : {}),
  }))
  return {
    ...toSummary(row, now),
    promptPreview: row.prompt.slice(0, 120),
    state: shownState(row.state, row.run_at, now),
    prompt: row.prompt,
    tags: parseJsonColumn(row.tags, [], isStringArray),
    config: parseJsonColumn(row.config, {}, isRecord),
    idempotencyKey: row.idempotency_key,
    stalledCount: row.stalled_count,
    output: row.output,
    artifact: row.artifact,
    events,
    attempts,
    providerBatch: jobProviderBatch(db, id),
  }
}
