/**
 * Spans of attempts' traces: written in batches (one transaction for hundreds of spans),
 * read back per job for the waterfall, pruned by age from the oldest rows.
 */
import type { Database } from 'better-sqlite3'
import { TraceSpan, type StoredSpan } from '../../../../shared/traces'
import { sql } from '../db/connection'

const INSERT = `INSERT INTO spans (trace_id, span_id, parent_span_id, job_id, attempt, name, start_ms, end_ms, status, status_message, attributes, events)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

export function saveSpans(db: Database, spans: readonly StoredSpan[]): void {
  if (spans.length === 0) return
  const insert = sql(db, INSERT)
  db.transaction(() => {
    for (const span of spans) {
      insert.run(
        span.traceId,
        span.spanId,
        span.parentSpanId,
        span.jobId,
        span.attempt,
        span.name,
        span.startMs,
        span.endMs,
        span.status,
        span.statusMessage,
        isEmpty(span.attributes) ? null : JSON.stringify(span.attributes),
        span.events.length === 0 ? null : JSON.stringify(span.events),
      )
    }
  }).immediate()
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false
  return true
}

interface SpanRow {
  trace_id: string
  span_id: string
  parent_span_id: string | null
  attempt: number
  name: string
  start_ms: number
  end_ms: number
  status: string
  status_message: string | null
  attributes: string | null
  events: string | null
}

// A job id can be taken again once the newest jobs are deleted: spans from before the job was created are another job's.
export const JOB_SPANS = `SELECT trace_id, span_id, parent_span_id, attempt, name, start_ms, end_ms, status, status_message, attributes, events
  FROM spans WHERE job_id = @jobId AND start_ms >= @createdAt ORDER BY attempt, start_ms`

/**
 * The spans of a job's attempts, by attempt and start; null when there is no such job.
 * A row that does not read back as a span is left out rather than failing the waterfall.
 */
export function jobSpans(db: Database, jobId: number): TraceSpan[] | null {
  const createdAt = sql(db, 'SELECT created_at FROM jobs WHERE id = ?').pluck().get(jobId) as number | undefined
  if (createdAt === undefined) return null
  const spans: TraceSpan[] = []
  for (const row of sql(db, JOB_SPANS).all({ jobId, createdAt }) as SpanRow[]) {
    const parsed = TraceSpan.safeParse({
      traceId: row.trace_id,
      spanId: row.span_id,
      parentSpanId: row.parent_span_id,
      attempt: row.attempt,
      name: row.name,
      startMs: row.start_ms,
      endMs: row.end_ms,
      status: row.status,
      statusMessage: row.status_message,
      attributes: parseJson(row.attributes, {}),
      events: parseJson(row.events, []),
    })
    if (parsed.success) spans.push(parsed.data)
  }
  return spans
}

function parseJson(text: string | null, empty: unknown): unknown {
  if (text === null) return empty
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
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
