/**
 * Spans of attempts' traces on PostgreSQL: written many to a statement, read back per job
 * for the waterfall, pruned by age from the oldest rows, as the SQLite store's queue/spans.ts.
 */
import type { StoredSpan, TraceSpan } from '../../../shared/traces'
import { SPAN_COLUMNS, SPAN_ROW_COLUMNS, spanOf, spanValues, type SpanRow } from '../sqlite/queue/span-rows'
import { columnsOf, unnestOf } from './columns'
import type { Queryable } from './transaction'

const SPAN_TYPES = ['text', 'text', 'text', 'bigint', 'integer', 'text', 'double precision', 'double precision', 'text', 'text', 'text', 'text']
const INSERT = `INSERT INTO spans (${SPAN_COLUMNS}) SELECT * FROM ${unnestOf(SPAN_TYPES, 1)}`

/** One statement, so all of them or none. */
export async function saveSpans(client: Queryable, spans: readonly StoredSpan[]): Promise<void> {
  if (spans.length === 0) return
  await client.query(INSERT, columnsOf(spans.map(spanValues), SPAN_TYPES.length))
}

/**
 * The spans of a job's attempts, by attempt and start; null when there is no such job. A job
 * id is never taken again on PostgreSQL (a sequence), but spans from before the job was
 * created are left out all the same, as on SQLite.
 */
export async function jobSpans(client: Queryable, jobId: number): Promise<TraceSpan[] | null> {
  const { rows: jobs } = await client.query<{ created_at: number }>('SELECT created_at FROM jobs WHERE id = $1', [jobId])
  if (jobs.length === 0) return null
  const { rows } = await client.query<SpanRow>(`SELECT ${SPAN_ROW_COLUMNS} FROM spans WHERE job_id = $1 AND start_ms >= $2 ORDER BY attempt, start_ms, id`, [
    jobId,
    jobs[0]!.created_at,
  ])
  return rows.map(spanOf).filter((span): span is TraceSpan => span !== null)
}

/**
 * Deletes up to `limit` of the oldest spans that ended before `before`; returns how many.
 * The lowest ids are the oldest: each call looks at the `limit` lowest ids only.
 */
export async function pruneSpans(client: Queryable, before: number, limit: number): Promise<number> {
  const result = await client.query('DELETE FROM spans WHERE id IN (SELECT id FROM spans ORDER BY id LIMIT $2) AND end_ms < $1', [before, limit])
  return result.rowCount ?? 0
}
