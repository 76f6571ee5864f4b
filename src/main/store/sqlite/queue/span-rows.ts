/**
 * Spans as both stores keep them: a span to its row's values, a row back to a span (or
 * nothing, when it does not read back as one). No SQL here: queue/spans.ts writes them to
 * SQLite, store/postgres/spans.ts to PostgreSQL.
 */
import { TraceSpan, type StoredSpan } from '../../../../shared/traces'

/** The spans table's written columns, in the order spanValues gives them. */
export const SPAN_COLUMNS = 'trace_id, span_id, parent_span_id, job_id, attempt, name, start_ms, end_ms, status, status_message, attributes, events'

export function spanValues(span: StoredSpan): unknown[] {
  return [
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
  ]
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false
  return true
}

export interface SpanRow {
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

/** The columns a SpanRow reads. */
export const SPAN_ROW_COLUMNS = 'trace_id, span_id, parent_span_id, attempt, name, start_ms, end_ms, status, status_message, attributes, events'

/** A row read back as a span; null when it does not parse (left out rather than failing the waterfall). */
export function spanOf(row: SpanRow): TraceSpan | null {
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
  return parsed.success ? parsed.data : null
}

function parseJson(text: string | null, empty: unknown): unknown {
  if (text === null) return empty
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
