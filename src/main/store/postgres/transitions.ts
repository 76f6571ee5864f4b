/**
 * How every change of a job's state is written on PostgreSQL: the jobs are locked and read
 * first (lockJobs), their new columns decided in code, then one statement writes the jobs,
 * their attempts, their events, the counts (by state, by batch, the batches' finishes and the
 * finished-job totals: batch-counts.ts) and the notice. Settle, stall recovery and the
 * operator's cancel all go through here, so a transition is written one way only.
 */
import type pg from 'pg'
import type { JobState, StoredState } from '../../../shared/jobs'
import type { CountDeltas } from '../sqlite/queue/rows'
import { countParams, countsUpsert, CHANGE_CHANNEL, noticePayload, type ChangeKind } from './counts'
import { StateTally } from '../sqlite/queue/state-tally'
import { movesParams, movesWrite } from './batch-counts'
import { columnsOf, unnestOf } from './columns'

/** A job as a transition reads it, under its row lock. */
export interface LockedJob {
  id: number
  state: StoredState
  run_at: number
  finished_at: number | null
  attempts_made: number
  max_attempts: number
  stalled_count: number
  auth_refunds: number
  started_at: number | null
  created_at: number
  provider: string
  model: string | null
  batch_id: number | null
  lease_owner: string | null
  output: string | null
  artifact: string | null
  last_error: string | null
  error_category: string | null
  /** As stored: JSON text, or null. */
  tags: string | null
}

const LOCKED_COLUMNS = `id, state, run_at, finished_at, attempts_made, max_attempts, stalled_count, auth_refunds, started_at, created_at,
  provider, model, batch_id, lease_owner, output, artifact, last_error, error_category, tags::text AS tags`

/**
 * Locks and reads the jobs that match `where` (parameters from $1), in id order: every
 * transition locks in that order, so two of them never wait for each other in a circle.
 * `skipLocked` passes over jobs another transaction holds (recovery: those are being settled).
 */
export async function lockJobs(
  client: pg.ClientBase,
  where: string,
  params: unknown[],
  { skipLocked = false, limit }: { skipLocked?: boolean; limit?: number } = {},
): Promise<LockedJob[]> {
  const { rows } = await client.query<LockedJob>(
    `SELECT ${LOCKED_COLUMNS} FROM jobs WHERE ${where} ORDER BY id ${limit === undefined ? '' : `LIMIT ${Math.floor(limit)}`} FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
    params,
  )
  return rows
}

/** A job's new columns, and the event that records the move: from the state it was shown in, with why. */
export interface JobTransition {
  job: LockedJob
  from: JobState
  at: number
  detail: string | null
}

/** One job_attempts row (migration 0001), as the SQLite store writes it. */
export interface AttemptRow {
  jobId: number
  number: number
  startedAt: number
  endedAt: number
  outcome: 'ok' | 'error' | 'stalled' | 'cancelled'
  errorCategory?: string | null
  error?: string | null
  errorSeverity?: string | null
  errorStack?: string | null
  inputTokens?: number | null
  outputTokens?: number | null
  cachedInputTokens?: number
  cacheWriteTokens?: number
  traceId?: string | null
  provider?: string | null
  providerKind?: string | null
  model?: string | null
  costUsd?: number | null
  ranOn?: string | null
  cached?: boolean
  savedUsd?: number | null
}

const JOB_TYPES = ['bigint', 'text', 'bigint', 'bigint', 'integer', 'integer', 'integer', 'text', 'text', 'text', 'text', 'bigint', 'text', 'text']
const ATTEMPT_TYPES = ['bigint', 'integer', 'bigint', 'bigint', 'text', 'text', 'text', 'text', 'text', 'integer', 'integer', 'integer', 'integer'].concat([
  'text',
  'text',
  'text',
  'text',
  'double precision',
  'text',
  'boolean',
  'double precision',
])
const J = 1
const A = J + JOB_TYPES.length
const C = A + ATTEMPT_TYPES.length

const WRITE = `WITH input AS (
    SELECT * FROM ${unnestOf(JOB_TYPES, J)}
      AS u(id, state, run_at, finished_at, attempts_made, stalled_count, auth_refunds, output, artifact, last_error, error_category, at, from_state, detail)),
  moved AS (
    UPDATE jobs j SET state = u.state, run_at = u.run_at, finished_at = u.finished_at, attempts_made = u.attempts_made,
      stalled_count = u.stalled_count, auth_refunds = u.auth_refunds, output = u.output, artifact = u.artifact,
      last_error = u.last_error, error_category = u.error_category, updated_at = u.at, lease_owner = NULL, lease_expires_at = NULL
    FROM input u WHERE j.id = u.id),
  events AS (INSERT INTO job_events (job_id, at, from_state, to_state, detail) SELECT id, at, from_state, state, detail FROM input),
  attempts AS (
    INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, error, error_severity, error_stack,
      input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, trace_id, provider, provider_kind, model, cost_usd, ran_on, cached, saved_usd)
    SELECT * FROM ${unnestOf(ATTEMPT_TYPES, A)}),
  counted AS (${countsUpsert(`SELECT * FROM unnest($${C}::text[], $${C + 1}::bigint[])`, `$${C + 2}::smallint`)}),
  ${movesWrite(C + 5)}
  SELECT pg_notify($${C + 3}, $${C + 4})`

/** Writes the transitions, their attempts, the counts they move and the notice, in one statement of the caller's transaction. */
export async function writeTransitions(
  client: pg.ClientBase,
  moves: readonly JobTransition[],
  attempts: readonly AttemptRow[],
  source: string,
  what: ChangeKind,
): Promise<void> {
  if (moves.length === 0) return
  const deltas: CountDeltas = {}
  // Batch counts, finishes and finished-job totals: one row a key after the loop.
  const tally = new StateTally()
  const jobRows = moves.map(({ job, from, at, detail }) => {
    const stored: StoredState = from === 'delayed' ? 'queued' : from
    deltas[stored] = (deltas[stored] ?? 0) - 1
    deltas[job.state] = (deltas[job.state] ?? 0) + 1
    tally.moved(job, stored, job.state, at)
    return [job.id, job.state, job.run_at, job.finished_at, job.attempts_made, job.stalled_count, job.auth_refunds, job.output, job.artifact].concat([
      job.last_error,
      job.error_category,
      at,
      from,
      detail,
    ])
  })
  const attemptRows = attempts.map((a) => [
    a.jobId,
    a.number,
    a.startedAt,
    a.endedAt,
    a.outcome,
    a.errorCategory ?? null,
    a.error ?? null,
    a.errorSeverity ?? null,
    a.errorStack ?? null,
    a.inputTokens ?? null,
    a.outputTokens ?? null,
    a.cachedInputTokens ?? 0,
    a.cacheWriteTokens ?? 0,
    a.traceId ?? null,
    a.provider ?? null,
    a.providerKind ?? null,
    a.model ?? null,
    a.costUsd ?? null,
    a.ranOn ?? null,
    a.cached ?? false,
    a.savedUsd ?? null,
  ])
  await client.query(WRITE, [
    ...columnsOf(jobRows, JOB_TYPES.length),
    ...columnsOf(attemptRows, ATTEMPT_TYPES.length),
    ...countParams(deltas),
    CHANGE_CHANNEL,
    noticePayload(source, what),
    ...movesParams(tally),
  ])
}
