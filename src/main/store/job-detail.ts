/**
 * A job's detail from its rows, as every store reads them: the job's row (JSON columns as
 * text), its events and its attempts, in the columns below. The stores run the queries,
 * this file turns what they read into the contract's JobDetail.
 */
import type { JobAttempt, JobDetail, JobEvent } from '../../shared/jobs'
import { isRecord, isStringArray, parseJsonColumn, shownState, toSummary, type JobRow } from './sqlite/queue/rows'

export const EVENT_COLUMNS = 'at, from_state, to_state, detail'
export const ATTEMPT_COLUMNS = `number, started_at, ended_at, outcome, error_category, error, input_tokens, output_tokens, ran_on, model, error_severity,
  error_stack, cached, cached_input_tokens, cache_write_tokens`

export interface EventRow {
  at: number
  from_state: JobEvent['to']
  to_state: JobEvent['to']
  detail: string | null
}

export interface AttemptRow {
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
  /** 0 or 1 in SQLite, a boolean in PostgreSQL. */
  cached: number | boolean
  cached_input_tokens: number
  cache_write_tokens: number
}

export function toJobDetail(row: JobRow, events: readonly EventRow[], attempts: readonly AttemptRow[], now: number): JobDetail {
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
    events: events.map((event): JobEvent => ({ at: event.at, from: event.from_state, to: event.to_state, detail: event.detail })),
    attempts: attempts.map((a): JobAttempt => ({
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
    })),
  }
}
