/**
 * A batch's progress from what is kept as it moves: its row (spend, pause, cap), its counts
 * by state and its finishes per minute (kept by migration 0015's triggers), its sources.
 * None of it reads the batch's jobs, so a list of 1,000 batches costs 1,000 short seeks;
 * only one batch's detail reads jobs (its latest completions, its dead by category).
 */
import type { Database } from 'better-sqlite3'
import { BATCH_STATES, type BatchCounts, type BatchDetail, type BatchSource, type BatchSummary } from '../../../../shared/batches'
import { sql } from '../db/connection'
import { isPaused } from '../queue/read'
import { isRecord, parseJsonColumn } from '../queue/rows'

/** The rate is taken over this many whole minutes before the current one, and the current one. */
export const RATE_MINUTES = 5
/** Latency percentiles are of the latest completions, at most this many. */
export const LATENCY_SAMPLE = 1000

export interface BatchRow {
  id: number
  name: string
  created_at: number
  attempts: number
  input_tokens: number
  output_tokens: number
  cost_usd: number
  unpriced_attempts: number
  paused_at: number | null
  pause_reason: string | null
  max_concurrency: number | null
  capped_by: string | null
  rerun_of: number | null
  rerun_changes: string | null
}

export const BATCH_COLUMNS = `id, name, created_at, attempts, input_tokens, output_tokens, cost_usd, unpriced_attempts, paused_at, pause_reason,
  max_concurrency, capped_by, rerun_of, rerun_changes`

const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string')

/** A batch_sources row as the contract shows it. */
export const toBatchSource = (row: { name: string; format: string; jobs: number; columns: string }): BatchSource => ({
  name: row.name,
  format: row.format,
  jobs: row.jobs,
  columns: parseJsonColumn(row.columns, [], isStrings),
})

export function batchSources(db: Database, batchId: number): BatchSource[] {
  const rows = sql(db, 'SELECT name, format, jobs, columns FROM batch_sources WHERE batch_id = ? ORDER BY file_index').all(batchId) as {
    name: string
    format: string
    jobs: number
    columns: string
  }[]
  return rows.map(toBatchSource)
}

/** Counts by state from (state, n) pairs: every state present, none below 0. */
export function countsFrom(pairs: readonly [string, number][]): BatchCounts {
  const counts = Object.fromEntries(BATCH_STATES.map((state) => [state, 0])) as BatchCounts
  for (const [state, n] of pairs) if (state in counts) counts[state as keyof BatchCounts] = Math.max(0, n)
  return counts
}

function countsOf(db: Database, batchId: number): BatchCounts {
  return countsFrom(sql(db, 'SELECT state, n FROM batch_counts WHERE batch_id = ?').raw().all(batchId) as [string, number][])
}

/** Jobs of the batch still to finish. */
export const leftOf = (counts: BatchCounts): number => counts.queued + counts.submitted + counts.active

/** Finishes a minute from the recent minutes' sum and the first of them; null when none finished in them. */
export function rateFrom(finished: number | null, first: number | null, now: number): number | null {
  if (!finished || first === null) return null
  // Over the minutes it has been finishing, not five, when it began within them; the current minute counts by the part gone.
  const minutes = Math.floor(now / 60_000) - first + (now % 60_000) / 60_000
  return finished / Math.max(minutes, 1 / 60)
}

/** Finishes a minute over the recent minutes; null when none finished in them. */
function recentRate(db: Database, batchId: number, now: number): number | null {
  const minute = Math.floor(now / 60_000)
  const [finished, first] = sql(db, 'SELECT sum(completed + dead), min(minute) FROM batch_finishes WHERE batch_id = ? AND minute >= ?')
    .raw()
    .get(batchId, minute - RATE_MINUTES) as [number | null, number | null]
  return rateFrom(finished, first, now)
}

function summaryOf(db: Database, row: BatchRow, now: number, queuePaused: boolean): BatchSummary {
  const counts = countsOf(db, row.id)
  return toBatchSummary(row, counts, batchSources(db, row.id), leftOf(counts) > 0 ? recentRate(db, row.id, now) : null, queuePaused)
}

/** A batch's summary from what is kept of it: its row, counts, sources and recent rate (null when none is left). */
export function toBatchSummary(row: BatchRow, counts: BatchCounts, sources: BatchSource[], recent: number | null, queuePaused: boolean): BatchSummary {
  const total = BATCH_STATES.reduce((sum, state) => sum + counts[state], 0)
  const finished = counts.completed + counts.dead + counts.cancelled
  const left = leftOf(counts)
  const held = row.paused_at !== null ? `paused: ${row.pause_reason ?? 'paused'}` : queuePaused && counts.queued > 0 ? 'the queue is paused' : null
  const ratePerMinute = left > 0 ? recent : null
  const etaMs = left > 0 && ratePerMinute && !held ? (left / ratePerMinute) * 60_000 : left === 0 ? 0 : null
  const settled = counts.completed + counts.dead
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    sources,
    counts,
    total,
    finished,
    ratePerMinute,
    etaMs,
    held,
    pause: row.paused_at === null ? null : { reason: row.pause_reason ?? 'paused', at: row.paused_at },
    maxConcurrency: row.max_concurrency,
    cappedBy: row.max_concurrency === null ? null : row.capped_by,
    attempts: row.attempts,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    unpricedAttempts: row.unpriced_attempts,
    // What the finished jobs cost on average, for every job the batch holds but has not cancelled.
    estimatedTotalUsd: settled > 0 ? (row.cost_usd / settled) * (total - counts.cancelled) : null,
    rerunOf: row.rerun_of,
  }
}

export function listBatches(db: Database, { beforeId, limit }: { beforeId?: number | undefined; limit: number }, now: number): BatchSummary[] {
  const rows = sql(db, `SELECT ${BATCH_COLUMNS} FROM batches WHERE id < ? AND loading_owner IS NULL ORDER BY id DESC LIMIT ?`).all(
    beforeId ?? Number.MAX_SAFE_INTEGER,
    limit,
  ) as BatchRow[]
  const queuePaused = isPaused(db)
  return rows.map((row) => summaryOf(db, row, now, queuePaused))
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

export function batchDetail(db: Database, batchId: number, now: number): BatchDetail | null {
  // A batch still loading is not there yet (its file may still be refused): not shown, exported, compared or rerun.
  const row = sql(db, `SELECT ${BATCH_COLUMNS} FROM batches WHERE id = ? AND loading_owner IS NULL`).get(batchId) as BatchRow | undefined
  if (!row) return null
  const summary = summaryOf(db, row, now, isPaused(db))
  const latencies = (
    sql(db, `SELECT finished_at - started_at FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ? AND state = 'completed' ORDER BY id DESC LIMIT ?`)
      .pluck()
      .all(batchId, LATENCY_SAMPLE) as (number | null)[]
  )
    .filter((ms): ms is number => ms !== null && ms >= 0)
    .sort((a, b) => a - b)
  const failures =
    summary.counts.dead === 0
      ? []
      : (
          sql(
            db,
            `SELECT ifnull(error_category, 'UNKNOWN'), count(*) FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ? AND state = 'dead' GROUP BY 1 ORDER BY 2 DESC, 1`,
          )
            .raw()
            .all(batchId) as [string, number][]
        ).map(([category, count]) => ({ category, count }))
  const reruns = sql(db, 'SELECT id FROM batches WHERE rerun_of = ? ORDER BY id').pluck().all(batchId) as number[]
  return {
    ...summary,
    p50LatencyMs: quantile(latencies, 0.5),
    p95LatencyMs: quantile(latencies, 0.95),
    failures,
    rerunChanges: row.rerun_changes === null ? null : parseJsonColumn(row.rerun_changes, {}, isRecord),
    reruns,
  }
}
