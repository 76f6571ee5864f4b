/**
 * Spans of attempts' traces: written in batches (one transaction for hundreds of spans),
 * read back per job for the waterfall, pruned by age from the oldest rows.
 */
import type { Database } from 'better-sqlite3'
import type { StoredSpan, TraceSpan } from '../../../../shared/traces'
import { sql } from '../db/connection'
import { SPAN_COLUMNS, SPAN_ROW_COLUMNS, spanOf, spanValues, type SpanRow } from './span-rows'

const INSERT = `INSERT INTO spans (${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

export function saveSpans(db: Database, spans: readonly StoredSpan[]): void {
  if (spans.length === 0) return
  const insert = sql(db, INSERT)
  db.transaction(() => {
    for (const span of spans) insert.run(...spanValues(span))
  }).immediate()
}

// A job id can be taken again once the newest jobs are deleted: spans from before the job was created are another job's.
export const JOB_SPANS = `SELECT ${SPAN_ROW_COLUMNS} FROM spans WHERE job_id = @jobId AND start_ms >= @createdAt ORDER BY attempt, start_ms`

/**
 * The spans of a job's attempts, by attempt and start; null when there is no such job.
 * A row that does not read back as a span is left out rather than failing the waterfall.
 */
export function jobSpans(db: Database, jobId: number): TraceSpan[] | null {
  const createdAt = sql(db, 'SELECT created_at FROM jobs WHERE id = ?').pluck().get(jobId) as number | undefined
  if (createdAt === undefined) return null
  const spans: TraceSpan[] = []
  for (const row of sql(db, JOB_SPANS).all({ jobId, createdAt }) as SpanRow[]) {
    const span = spanOf(row)
    if (span) spans.push(span)
  }
  return spans
}

/**
 * Deletes up to `limit` of the oldest spans that ended before `before`; returns how many.
 * Spans are written as attempts end, so the lowest ids are the oldest: each call looks at
 * the `limit` lowest ids only, and never scans the table for old rows further on.
 */
export const PRUNE_SPANS = `DELETE FROM spans WHERE id IN (SELECT id FROM spans ORDER BY id LIMIT @limit) AND end_ms < @before`

export function pruneSpans(db: Database, before: number, limit: number): number {
  return db.transaction(() => sql(db, PRUNE_SPANS).run({ before, limit }).changes).immediate()
}
