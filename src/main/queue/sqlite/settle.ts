/**
 * Settling attempts: the results a scheduler collected, written in one transaction.
 * Each write is guarded by the lease (state active, this owner), so a result that
 * arrives after its job was cancelled or recovered elsewhere changes nothing: a job is
 * completed exactly once even when an attempt ran twice.
 */
import type { Database } from 'better-sqlite3'
import type { JobChange } from '../../../shared/contract'
import { sql } from '../../db/connection'
import type { AttemptResult } from '../store'
import { adjustCounts, addCount, recordEvent, type CountDeltas } from './rows'

const COMPLETE = `UPDATE jobs SET state = 'completed', finished_at = @at, updated_at = @at, output = @output, artifact = @artifact,
    lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, error_category = NULL
  WHERE id = @id AND state = 'active' AND lease_owner = @owner
  RETURNING attempts_made, started_at`

// Failed attempts are those started minus those that stalled: stalls have their own limit.
const FAIL = `UPDATE jobs SET
    state = CASE WHEN @retryable AND attempts_made - stalled_count < max_attempts THEN 'queued' ELSE 'dead' END,
    run_at = CASE WHEN @retryable AND attempts_made - stalled_count < max_attempts THEN @retryAt ELSE run_at END,
    finished_at = CASE WHEN @retryable AND attempts_made - stalled_count < max_attempts THEN NULL ELSE @at END,
    updated_at = @at, lease_owner = NULL, lease_expires_at = NULL, last_error = @message, error_category = @category
  WHERE id = @id AND state = 'active' AND lease_owner = @owner
  RETURNING state, attempts_made, started_at`

const ATTEMPT = `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, error, input_tokens, output_tokens)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

export function settleAttempts(db: Database, results: AttemptResult[], owner: string): JobChange[] {
  if (results.length === 0) return []
  return db
    .transaction(() => {
      const changes: JobChange[] = []
      const deltas: CountDeltas = {}
      for (const result of results) {
        if (result.outcome === 'ok') {
          const row = sql(db, COMPLETE).get({ id: result.id, owner, at: result.endedAt, output: result.output, artifact: result.artifact ?? null }) as
            { attempts_made: number; started_at: number } | undefined
          if (!row) continue
          sql(db, ATTEMPT).run(result.id, row.attempts_made, row.started_at, result.endedAt, 'ok', null, null, result.inputTokens, result.outputTokens)
          recordEvent(db, result.id, result.endedAt, 'active', 'completed')
          addCount(deltas, 'completed', 1)
          changes.push({ id: result.id, state: 'completed', attemptsMade: row.attempts_made })
        } else {
          const row = sql(db, FAIL).get({
            id: result.id,
            owner,
            at: result.endedAt,
            retryable: result.retryable ? 1 : 0,
            retryAt: result.retryAt,
            message: result.message,
            category: result.category,
          }) as { state: 'queued' | 'dead'; attempts_made: number; started_at: number } | undefined
          if (!row) continue
          sql(db, ATTEMPT).run(result.id, row.attempts_made, row.started_at, result.endedAt, 'error', result.category, result.message, null, null)
          recordEvent(db, result.id, result.endedAt, 'active', row.state, `${result.category}: ${result.message}`)
          addCount(deltas, row.state, 1)
          changes.push({
            id: result.id,
            state: row.state === 'queued' && result.retryAt > result.endedAt ? 'delayed' : row.state,
            attemptsMade: row.attempts_made,
          })
        }
        addCount(deltas, 'active', -1)
      }
      adjustCounts(db, deltas)
      return changes
    })
    .immediate()
}
