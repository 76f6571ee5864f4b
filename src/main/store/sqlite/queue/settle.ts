/**
 * Settling attempts: the results a scheduler collected, written in one transaction.
 * Each write is guarded by the lease (state active, this owner), so a result that
 * arrives after its job was cancelled or recovered elsewhere changes nothing: a job is
 * completed exactly once even when an attempt ran twice.
 */
import type { Database } from 'better-sqlite3'
import type { JobChange } from '../../../../shared/contract'
import { severityOf } from '../../../../shared/errors'
import { allInputTokens } from '../../../../shared/tokens'
import { sql } from '../db/connection'
import { recordUsage, type SettledAttempt } from '../telemetry/rollups-write'
import { parseFallback } from '../../../../shared/providers'
import { MAX_AUTH_REFUNDS } from '../../../queue/attempt-result'
import type { AttemptResult, FinishedJob } from '../../../queue/store'
import { recordFailure } from './failures'
import { reportStart } from './rate-state'
import { releaseReported } from '../costs/reservations'
import { adjustCounts, addCount, recordEvent, type CountDeltas } from './rows'
import { CacheWrites } from '../cache-settle'
import { countedHere, StateMoves } from './state-moves'

const COMPLETE = `UPDATE jobs SET state = 'completed', finished_at = @at, updated_at = @at, output = @output, artifact = @artifact,
    lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, error_category = NULL
  WHERE id = @id AND state = @from AND lease_owner = @owner
  RETURNING attempts_made, started_at, provider, model, created_at, batch_id, tags`

// Failed attempts are those started minus those that stalled: stalls have their own limit.
// A refunded attempt (@refund = 1) is taken off the count and always requeues; an AUTH one is counted, for the cap.
const FAIL = `UPDATE jobs SET
    state = CASE WHEN @refund OR (@retryable AND attempts_made - stalled_count < max_attempts) THEN 'queued' ELSE 'dead' END,
    run_at = CASE WHEN @refund OR (@retryable AND attempts_made - stalled_count < max_attempts) THEN @retryAt ELSE run_at END,
    finished_at = CASE WHEN @refund OR (@retryable AND attempts_made - stalled_count < max_attempts) THEN NULL ELSE @at END,
    attempts_made = attempts_made - @refund, auth_refunds = auth_refunds + (@refund AND @category = 'AUTH'),
    updated_at = @at, lease_owner = NULL, lease_expires_at = NULL, last_error = @message, error_category = @category
  WHERE id = @id AND state = @from AND lease_owner = @owner
  RETURNING state, attempts_made, started_at, provider, model, created_at, batch_id, tags`

const ATTEMPT = `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, error, input_tokens, output_tokens, trace_id,
    provider, provider_kind, model, cost_usd, ran_on, error_severity, error_stack, cached, saved_usd, cached_input_tokens, cache_write_tokens)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

/** The AUTH failures already given back to an active (or submitted) job of this owner. */
const AUTH_REFUNDS = `SELECT auth_refunds FROM jobs WHERE id = ? AND state = ? AND lease_owner = ?`

/** Rows as the settling statements return them. */
interface SettledRow {
  attempts_made: number
  started_at: number
  provider: string
  model: string | null
  created_at: number
  batch_id: number | null
  tags: string | null
}

/**
 * `finished`, when given, receives the jobs this settle completed or killed (for the metrics).
 * `from` is the state the attempts ran in: 'active' under a scheduler's lease, or 'submitted'
 * as lines of a provider batch, whose record is then the owner (src/main/provider-batches).
 */
export function settleAttempts(
  db: Database,
  results: AttemptResult[],
  owner: string,
  finished?: FinishedJob[],
  from: 'active' | 'submitted' = 'active',
): JobChange[] {
  if (results.length === 0) return []
  const { changes, done } = db
    .transaction(() => {
      // Handed over only once the transaction commits: a rolled-back settle finished nothing.
      const done: FinishedJob[] | undefined = finished ? [] : undefined
      const changes: JobChange[] = []
      const deltas: CountDeltas = {}
      // What the rollups and batch totals count, written once after the loop: a few statements, not one a job.
      const usage: SettledAttempt[] = []
      const cacheWrites = new CacheWrites(db)
      // Batch counts, batch finishes and finished-job totals: one write per key after the loop, not the triggers' six a job.
      const moves = new StateMoves()
      countedHere(db, () => {
        for (let result of results) {
          // The attempt's place in the shared rate state, whether or not its lease still holds: it was sent all the same.
          if (result.start) reportStart(db, result.start)
          if (result.outcome === 'ok') {
            const row = sql(db, COMPLETE).get({ id: result.id, owner, from, at: result.endedAt, output: result.output, artifact: result.artifact ?? null }) as
              SettledRow | undefined
            if (!row) continue
            done?.push(finishedJob(result.id, row, 'completed', result.endedAt))
            moves.moved(row, from, 'completed', result.endedAt)
            const cost = costColumns(row, result)
            sql(db, ATTEMPT).run(
              result.id,
              row.attempts_made,
              row.started_at,
              result.endedAt,
              'ok',
              null,
              null,
              result.inputTokens,
              result.outputTokens,
              result.traceId ?? null,
              ...cost,
              result.ranOn ?? null,
              null,
              null,
              ...cachedColumns(result),
              result.cachedInputTokens ?? 0,
              result.cacheWriteTokens ?? 0,
            )
            if (result.cache)
              cacheWrites.note(result.cache, { ...result, jobId: result.id, kind: cost[1], model: cost[2], costUsd: cost[3], at: result.endedAt })
            usage.push(settledAttempt(row, result, cost, 'completed'))
            recordEvent(db, result.id, result.endedAt, from, 'completed')
            addCount(deltas, 'completed', 1)
            changes.push({ id: result.id, state: 'completed', attemptsMade: row.attempts_made })
          } else {
            const authCapped = result.refund === true && result.category === 'AUTH' && authRefundsOf(db, result.id, from, owner) >= MAX_AUTH_REFUNDS
            if (authCapped) {
              // Refused after every resume: the job dies as AUTH instead of pausing its provider once more.
              result = {
                ...result,
                refund: false,
                retryable: false,
                message: `${result.message}; refused ${MAX_AUTH_REFUNDS + 1} times, each given back: the job stops here`,
              }
            }
            const row = sql(db, FAIL).get({
              id: result.id,
              owner,
              from,
              at: result.endedAt,
              retryable: result.retryable ? 1 : 0,
              refund: result.refund ? 1 : 0,
              retryAt: result.retryAt,
              message: result.message,
              category: result.category,
            }) as (SettledRow & { state: 'queued' | 'dead' }) | undefined
            if (!row) continue
            if (row.state === 'dead') done?.push(finishedJob(result.id, row, 'dead', result.endedAt))
            moves.moved(row, from, row.state, result.endedAt)
            // A refunded attempt was taken off attempts_made: its own number is one more.
            const number = row.attempts_made + (result.refund ? 1 : 0)
            const cost = costColumns(row, result)
            sql(db, ATTEMPT).run(
              result.id,
              number,
              row.started_at,
              result.endedAt,
              'error',
              result.category,
              result.message,
              null,
              null,
              result.traceId ?? null,
              ...cost,
              result.ranOn ?? null,
              severityOf(result.category),
              result.stack ?? null,
              0,
              null,
              0,
              0,
            )
            usage.push(settledAttempt(row, result, cost, row.state === 'dead' ? 'dead' : 'failed'))
            recordFailure(db, result.id, result.category, result.message, result.endedAt)
            recordEvent(db, result.id, result.endedAt, from, row.state, `${result.category}: ${result.message}`)
            addCount(deltas, row.state, 1)
            changes.push({
              id: result.id,
              state: row.state === 'queued' && result.retryAt > result.endedAt ? 'delayed' : row.state,
              attemptsMade: row.attempts_made,
            })
          }
          addCount(deltas, from, -1)
        }
      })
      moves.write(db)
      adjustCounts(db, deltas)
      recordUsage(db, usage)
      cacheWrites.flush()
      // What the attempts cost is booked now: their reservations against the budgets go in the same transaction.
      releaseReported(
        db,
        results.map((result) => result.id),
        owner,
      )
      return { changes, done }
    })
    .immediate()
  if (done) finished!.push(...done)
  return changes
}

/** Whether a completed attempt was answered from the response cache, and what that saved. */
function cachedColumns(result: AttemptResult): [cached: number, savedUsd: number | null] {
  return result.outcome === 'ok' && result.cache && 'hit' in result.cache ? [1, result.cache.savedUsd] : [0, null]
}

function finishedJob(id: number, row: SettledRow, outcome: FinishedJob['outcome'], finishedAt: number): FinishedJob {
  return { id, provider: row.provider, model: row.model, outcome, createdAt: row.created_at, finishedAt }
}

/**
 * What an attempt ran on and cost, for its job_attempts row: the scheduler's pricing, or
 * (a result priced by no one) the job's own provider and model, with no cost when it used tokens.
 */
type CostColumns = [provider: string, kind: string | null, model: string | null, usd: number | null]

function authRefundsOf(db: Database, id: number, from: string, owner: string): number {
  return (sql(db, AUTH_REFUNDS).pluck().get(id, from, owner) as number | undefined) ?? 0
}

function costColumns(row: SettledRow, result: AttemptResult): CostColumns {
  // An attempt on a fallback is that profile's: its cost and its tokens count there.
  const provider = result.ranOn ? parseFallback(result.ranOn).profile : row.provider
  if (result.cost) return [provider, result.cost.providerKind, result.cost.model, result.cost.usd]
  const tokens = result.outcome === 'ok' ? allInputTokens(result) + (result.outputTokens ?? 0) : 0
  return [provider, null, row.model, tokens > 0 ? null : 0]
}

function settledAttempt(
  row: SettledRow,
  result: AttemptResult,
  [provider, kind, model, costUsd]: CostColumns,
  outcome: SettledAttempt['outcome'],
): SettledAttempt {
  return {
    endedAt: result.endedAt,
    provider,
    kind: kind ?? '',
    model,
    batchId: row.batch_id,
    tags: row.tags,
    outcome,
    category: result.outcome === 'ok' ? undefined : result.category,
    inputTokens: result.outcome === 'ok' ? result.inputTokens : null,
    outputTokens: result.outcome === 'ok' ? result.outputTokens : null,
    cachedInputTokens: result.outcome === 'ok' ? result.cachedInputTokens : null,
    cacheWriteTokens: result.outcome === 'ok' ? result.cacheWriteTokens : null,
    costUsd,
    durationMs: result.endedAt - row.started_at,
    cached: result.outcome === 'ok' && result.cache !== undefined && 'hit' in result.cache,
  }
}
