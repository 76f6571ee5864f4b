/**
 * Settling attempts on PostgreSQL: the results a scheduler collected, in one transaction of
 * two statements. Only jobs still active under this owner's lease are locked and written, so
 * a result that arrives after its job was cancelled or recovered by another engine changes
 * nothing: a job is completed once even when an attempt ran twice. Beside the jobs, their
 * attempts and events, it writes what the SQLite store's settle writes: the rollups and the
 * batches' figures, failure groups, the response cache, and the attempts' places in the rate
 * windows and budgets.
 */
import type pg from 'pg'
import type { JobChange } from '../../../shared/contract'
import { severityOf } from '../../../shared/errors'
import { parseFallback } from '../../../shared/providers'
import { allInputTokens } from '../../../shared/tokens'
import { MAX_AUTH_REFUNDS } from '../../queue/attempt-result'
import type { AttemptResult, FinishedJob, StartReport } from '../../queue/store'
import type { SettledAttempt } from '../sqlite/telemetry/usage-groups'
import { CacheWrites } from './cache-settle'
import { recordFailures, type Failure } from './failures-write'
import { reportStarts } from './rate-state'
import { releaseReported } from './reservations'
import { recordUsage } from './rollups'
import { lockJobs, writeTransitions, type AttemptRow, type JobTransition, type LockedJob } from './transitions'

/**
 * Answers the jobs this settle completed or killed (to be handed on once it has committed).
 * `from` is 'submitted' for the lines of a provider batch, whose record is then the owner.
 */
export async function settleAttempts(
  client: pg.ClientBase,
  source: string,
  results: readonly AttemptResult[],
  owner: string,
  from: 'active' | 'submitted' = 'active',
): Promise<{ changes: JobChange[]; finished: FinishedJob[] }> {
  const held = new Map(
    (await lockJobs(client, `id = ANY($1::bigint[]) AND state = $3 AND lease_owner = $2`, [results.map((r) => r.id), owner, from])).map((job) => [job.id, job]),
  )
  const moves: JobTransition[] = []
  const attempts: AttemptRow[] = []
  const changes: JobChange[] = []
  const finished: FinishedJob[] = []
  // What the rollups, failure groups and cache count, written once after the loop: a few statements, not one a job.
  const usage: SettledAttempt[] = []
  const failures: Failure[] = []
  const cacheWrites = new CacheWrites()
  // The attempt's place in the shared rate state, whether or not its lease still holds: it was sent all the same.
  const starts: StartReport[] = []
  for (const result of results) {
    if (result.start) starts.push(result.start)
    const job = held.get(result.id)
    // Not ours any more, or a second result for the same job in this call: ignored, as the lease says.
    if (!job) continue
    held.delete(result.id)
    const settled = result.outcome === 'ok' ? complete(job, result) : fail(job, result)
    moves.push({ job: settled.job, from, at: result.endedAt, detail: settled.detail })
    const cost = costColumns(job, result)
    attempts.push({ ...settled.attempt, ...cost })
    usage.push(settledAttempt(job, result, cost, settled.job.state))
    if (result.outcome === 'ok' && result.cache) {
      cacheWrites.note(result.cache, { ...result, jobId: job.id, kind: cost.providerKind, model: cost.model, costUsd: cost.costUsd, at: result.endedAt })
    }
    if (settled.attempt.outcome === 'error') {
      failures.push({ jobId: job.id, category: settled.attempt.errorCategory!, message: settled.attempt.error!, at: result.endedAt })
    }
    if (settled.job.state !== 'queued') {
      finished.push({
        id: job.id,
        provider: job.provider,
        model: job.model,
        outcome: settled.job.state as FinishedJob['outcome'],
        createdAt: job.created_at,
        finishedAt: result.endedAt,
      })
    }
    const shown = settled.job.state === 'queued' && result.outcome === 'error' && result.retryAt > result.endedAt ? 'delayed' : settled.job.state
    changes.push({ id: job.id, state: shown, attemptsMade: settled.job.attempts_made })
  }
  await reportStarts(client, starts)
  await writeTransitions(client, moves, attempts, source, 'settled')
  await recordUsage(client, usage)
  await recordFailures(client, failures)
  await cacheWrites.flush(client)
  // What the attempts cost is booked now: their reservations against the budgets go in the same transaction.
  await releaseReported(
    client,
    results.map((result) => result.id),
    owner,
  )
  return { changes, finished }
}

interface Settled {
  job: LockedJob
  detail: string | null
  attempt: AttemptRow
}

function complete(job: LockedJob, result: Extract<AttemptResult, { outcome: 'ok' }>): Settled {
  const hit = result.cache && 'hit' in result.cache ? result.cache : undefined
  return {
    job: {
      ...job,
      state: 'completed',
      finished_at: result.endedAt,
      output: result.output,
      artifact: result.artifact ?? null,
      last_error: null,
      error_category: null,
    },
    detail: null,
    attempt: {
      jobId: job.id,
      number: job.attempts_made,
      startedAt: job.started_at ?? result.endedAt,
      endedAt: result.endedAt,
      outcome: 'ok',
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      cachedInputTokens: result.cachedInputTokens ?? 0,
      cacheWriteTokens: result.cacheWriteTokens ?? 0,
      traceId: result.traceId ?? null,
      ranOn: result.ranOn ?? null,
      cached: hit !== undefined,
      savedUsd: hit?.savedUsd ?? null,
    },
  }
}

// Failed attempts are those started minus those that stalled: stalls have their own limit.
// A refunded attempt is taken off the count and always requeues; an AUTH one is counted, for the cap.
function fail(job: LockedJob, given: Extract<AttemptResult, { outcome: 'error' }>): Settled {
  let result = given
  if (result.refund === true && result.category === 'AUTH' && job.auth_refunds >= MAX_AUTH_REFUNDS) {
    // Refused after every resume: the job dies as AUTH instead of pausing its provider once more.
    result = {
      ...result,
      refund: false,
      retryable: false,
      message: `${result.message}; refused ${MAX_AUTH_REFUNDS + 1} times, each given back: the job stops here`,
    }
  }
  const refund = result.refund === true
  const requeue = refund || (result.retryable && job.attempts_made - job.stalled_count < job.max_attempts)
  const attemptsMade = job.attempts_made - (refund ? 1 : 0)
  return {
    job: {
      ...job,
      state: requeue ? 'queued' : 'dead',
      run_at: requeue ? result.retryAt : job.run_at,
      finished_at: requeue ? null : result.endedAt,
      attempts_made: attemptsMade,
      auth_refunds: job.auth_refunds + (refund && result.category === 'AUTH' ? 1 : 0),
      last_error: result.message,
      error_category: result.category,
    },
    detail: `${result.category}: ${result.message}`,
    attempt: {
      jobId: job.id,
      // A refunded attempt was taken off attempts_made: its own number is one more.
      number: attemptsMade + (refund ? 1 : 0),
      startedAt: job.started_at ?? result.endedAt,
      endedAt: result.endedAt,
      outcome: 'error',
      errorCategory: result.category,
      error: result.message,
      errorSeverity: severityOf(result.category),
      errorStack: result.stack ?? null,
      traceId: result.traceId ?? null,
      ranOn: result.ranOn ?? null,
    },
  }
}

/**
 * What an attempt ran on and cost: the scheduler's pricing, or (a result priced by no one)
 * the job's own provider and model, with no cost when it used tokens (as the SQLite store).
 */
type CostColumns = Required<Pick<AttemptRow, 'provider' | 'providerKind' | 'model' | 'costUsd'>>

function costColumns(job: LockedJob, result: AttemptResult): CostColumns {
  // An attempt on a fallback is that profile's.
  const provider = result.ranOn ? parseFallback(result.ranOn).profile : job.provider
  if (result.cost) return { provider, providerKind: result.cost.providerKind, model: result.cost.model, costUsd: result.cost.usd }
  const tokens = result.outcome === 'ok' ? allInputTokens(result) + (result.outputTokens ?? 0) : 0
  return { provider, providerKind: null, model: job.model, costUsd: tokens > 0 ? null : 0 }
}

/** The attempt as the rollups count it; `state` is where its job went. */
function settledAttempt(job: LockedJob, result: AttemptResult, cost: CostColumns, state: LockedJob['state']): SettledAttempt {
  const ok = result.outcome === 'ok' ? result : undefined
  return {
    endedAt: result.endedAt,
    provider: cost.provider!,
    kind: cost.providerKind ?? '',
    model: cost.model,
    batchId: job.batch_id,
    tags: job.tags,
    outcome: ok ? 'completed' : state === 'dead' ? 'dead' : 'failed',
    category: result.outcome === 'ok' ? undefined : result.category,
    inputTokens: ok ? ok.inputTokens : null,
    outputTokens: ok ? ok.outputTokens : null,
    cachedInputTokens: ok ? ok.cachedInputTokens : null,
    cacheWriteTokens: ok ? ok.cacheWriteTokens : null,
    costUsd: cost.costUsd,
    durationMs: result.endedAt - (job.started_at ?? result.endedAt),
    cached: ok !== undefined && ok.cache !== undefined && 'hit' in ok.cache,
  }
}
