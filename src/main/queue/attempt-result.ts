/**
 * How an attempt's outcome becomes what the store commits: completed; failed and due again
 * after backoff (or the provider's Retry-After, when longer); or handed back with the
 * attempt refunded, when the failure was not the job's (a refused key, a breaker that
 * closed the door before the attempt ran, a disk too full for its artifact).
 */
import { AttemptError, errorStack } from '../../shared/errors'
import { secretMask } from '../../shared/redact'
import type { AttemptOutcome } from '../../workers/protocol'
import { retryDelayMs, type BackoffOptions } from './backoff'
import type { AttemptResult } from './store'

/**
 * AUTH failures given back to one job before the next kills it as AUTH: a key fixed after a
 * pause lets the job run; a job that is refused again after every resume is the job's own
 * problem (a model its key may not use, say), and must not pause its provider forever.
 */
export const MAX_AUTH_REFUNDS = 2

export function resultOf(id: number, attempt: number, outcome: AttemptOutcome, endedAt: number, backoff: BackoffOptions): AttemptResult {
  if (outcome.ok) {
    const { output, artifact, inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens } = outcome
    return { id, outcome: 'ok', endedAt, output, artifact, inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens }
  }
  const { category, message } = outcome
  if (category === 'AUTH' || outcome.diskFull) return { id, outcome: 'error', endedAt, category, message, retryable: true, retryAt: endedAt, refund: true }
  const retryAt = endedAt + Math.max(outcome.retryAfterMs ?? 0, retryDelayMs(attempt, backoff))
  return { id, outcome: 'error', endedAt, category, message, retryable: outcome.retryable, retryAt, ...(outcome.stack && { stack: outcome.stack }) }
}

/** A job refused at the last moment (its breaker opened; its key does not open here): back to the queue at once, its attempt given back. */
export function handedBack(id: number, why: string, at: number): AttemptResult {
  return {
    id,
    outcome: 'error',
    endedAt: at,
    category: 'PROVIDER',
    message: `not started: ${why}`,
    retryable: true,
    retryAt: at,
    refund: true,
  }
}

/** A worker thread that failed (or was terminated) instead of answering. */
export function workerFailure(error: unknown): AttemptOutcome {
  const failure =
    error instanceof AttemptError ? error : new AttemptError('UNKNOWN', `the worker thread failed: ${error instanceof Error ? error.message : String(error)}`)
  const mask = secretMask(process.env)
  const stack = failure.category === 'UNKNOWN' ? errorStack(error, (text) => mask.mask(text)) : null
  return {
    ok: false,
    category: failure.category,
    message: mask.mask(failure.message),
    retryable: failure.retryable,
    retryAfterMs: null,
    durationMs: 0,
    ...(stack && { stack }),
  }
}
