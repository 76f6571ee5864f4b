/**
 * Rows as read back from SQLite, and their shapes for the contract. Rows are `unknown`
 * in spirit: JSON columns are parsed defensively, so one damaged row shows as damaged
 * instead of crashing a screen.
 */
import type { Database } from 'better-sqlite3'
import type { JobSummary, JobState, StoredState } from '../../../../shared/jobs'
import { PRIORITY_BY_RANK } from '../../../../shared/jobs'
import { sql } from '../db/connection'

export interface JobRow {
  id: number
  state: StoredState
  priority: number
  run_at: number
  created_at: number
  started_at: number | null
  finished_at: number | null
  batch_id: number | null
  provider: string
  model: string | null
  prompt: string
  config: string | null
  tags: string | null
  idempotency_key: string | null
  attempts_made: number
  max_attempts: number
  stalled_count: number
  lease_owner: string | null
  last_error: string | null
  output: string | null
  artifact: string | null
}

/** The columns a summary needs: never the whole prompt or output. */
export const SUMMARY_COLUMNS = `id, state, priority, run_at, created_at, finished_at, batch_id, provider, model,
  substr(prompt, 1, 160) AS prompt, attempts_made, max_attempts, last_error`

export function shownState(state: StoredState, runAt: number, now: number): JobState {
  return state === 'queued' && runAt > now ? 'delayed' : state
}

export function toSummary(row: JobRow, now: number): JobSummary {
  return {
    id: row.id,
    state: shownState(row.state, row.run_at, now),
    priority: PRIORITY_BY_RANK[row.priority] ?? 'normal',
    provider: row.provider,
    model: row.model,
    promptPreview: row.prompt.length > 120 ? `${row.prompt.slice(0, 119)}…` : row.prompt,
    batchId: row.batch_id,
    attemptsMade: row.attempts_made,
    maxAttempts: row.max_attempts,
    createdAt: row.created_at,
    runAt: row.run_at,
    finishedAt: row.finished_at,
    lastError: row.last_error,
  }
}

export function readSummary(db: Database, id: number, now: number): JobSummary | null {
  const row = sql(db, `SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE id = ?`).get(id) as JobRow | undefined
  return row ? toSummary(row, now) : null
}

/** JSON from a column, or the fallback when it is missing or does not parse. */
export function parseJsonColumn<T>(text: string | null, fallback: T, isValid: (value: unknown) => value is T): T {
  if (text === null) return fallback
  try {
    const value: unknown = JSON.parse(text)
    return isValid(value) ? value : fallback
  } catch {
    return fallback
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
export const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string')

export type CountDeltas = Partial<Record<StoredState, number>>

/** Applies the change in counts by state that a transaction made; call inside it. */
export function adjustCounts(db: Database, deltas: CountDeltas): void {
  const update = sql(db, 'UPDATE job_counts SET n = n + ? WHERE state = ?')
  for (const [state, delta] of Object.entries(deltas)) if (delta) update.run(delta, state)
}

export function addCount(deltas: CountDeltas, state: StoredState, by: number): void {
  deltas[state] = (deltas[state] ?? 0) + by
}

/** Appends a transition to job_events. */
export function recordEvent(db: Database, jobId: number, at: number, from: JobState, to: StoredState, detail: string | null = null): void {
  sql(db, 'INSERT INTO job_events (job_id, at, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?)').run(jobId, at, from, to, detail)
}
