/**
 * Stall recovery on PostgreSQL: jobs whose lease ran out (their engine crashed, hung or lost
 * the network), or whose owner is known dead, go back to the queue with a stall counted, or
 * to the dead-letter queue past the limit. Any engine may run it for any other's jobs: the
 * lease is in the row, and a job another transaction holds (being settled) is passed over.
 * Whether a lease ran out is the server's clock's to say (claim.ts says why); `now`, this
 * engine's, only stamps what the recovery writes.
 */
import type pg from 'pg'
import type { JobChange } from '../../../shared/contract'
import { ERROR_CATEGORIES } from '../../../shared/errors'
import type { RecoverOptions } from '../../queue/store'
import type { SettledAttempt } from '../sqlite/telemetry/usage-groups'
import { SERVER_NOW_MS } from './claim'
import { recordFailures, type Failure } from './failures-write'
import { releaseReservations } from './reservations'
import { recordUsage } from './rollups'
import { lockJobs, writeTransitions, type AttemptRow, type JobTransition } from './transitions'

/** Most stalled jobs handled in one transaction; the rest wait for the next sweep. */
const RECOVER_SLICE = 500

// The operator's words for a stall, as the SQLite store says them (store/sqlite/queue/claim.ts).
const OWNER_GONE = 'the process running it ended (crash or kill) before the attempt finished'
const LEASE_EXPIRED = 'its lease expired: the process running it stopped or hung'

export async function recoverStalled(client: pg.ClientBase, source: string, { now, maxStalled, deadOwners = [] }: RecoverOptions): Promise<JobChange[]> {
  const stalled = await lockJobs(client, `state = 'active' AND (lease_expires_at < ${SERVER_NOW_MS} OR lease_owner = ANY($1::text[]))`, [deadOwners], {
    skipLocked: true,
    limit: RECOVER_SLICE,
  })
  const moves: JobTransition[] = []
  const attempts: AttemptRow[] = []
  const changes: JobChange[] = []
  // A stall is a failed attempt to the rollups (the dashboard's failures, the failure-rate alert): nothing is known of its tokens.
  const usage: SettledAttempt[] = []
  const failures: Failure[] = []
  for (const job of stalled) {
    const stalls = job.stalled_count + 1
    const reason = deadOwners.includes(job.lease_owner ?? '') ? OWNER_GONE : LEASE_EXPIRED
    const dead = stalls > maxStalled
    const detail = dead ? `${reason}; stalled ${stalls} times, more than the limit of ${maxStalled}` : reason
    const state = dead ? 'dead' : 'queued'
    moves.push({
      job: {
        ...job,
        state,
        stalled_count: stalls,
        run_at: dead ? job.run_at : now,
        finished_at: dead ? now : null,
        error_category: 'TIMEOUT',
        last_error: detail,
      },
      from: 'active',
      at: now,
      detail,
    })
    attempts.push({
      jobId: job.id,
      number: job.attempts_made,
      startedAt: job.started_at ?? now,
      endedAt: now,
      outcome: 'stalled',
      errorCategory: 'TIMEOUT',
      error: reason,
      errorSeverity: ERROR_CATEGORIES.TIMEOUT.severity,
    })
    failures.push({ jobId: job.id, category: 'TIMEOUT', message: reason, at: now })
    usage.push({
      endedAt: now,
      provider: job.provider,
      kind: '',
      model: job.model,
      batchId: job.batch_id,
      tags: job.tags,
      outcome: dead ? 'dead' : 'failed',
      category: 'TIMEOUT',
      inputTokens: null,
      outputTokens: null,
      costUsd: 0,
      durationMs: now - (job.started_at ?? now),
    })
    changes.push({ id: job.id, state, attemptsMade: job.attempts_made })
  }
  await writeTransitions(client, moves, attempts, source, 'recovered')
  await recordUsage(client, usage)
  await recordFailures(client, failures)
  await releaseReservations(
    client,
    changes.map((change) => change.id),
  )
  return changes
}
