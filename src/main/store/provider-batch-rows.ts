/**
 * What both stores keep alike for the batch lane: SQL their dialects read the same (which
 * provider batches are still open, which cancelled jobs must stay until their batch ends, since
 * the provider may yet answer the line and bill it), the refusal of such a job's delete, and a
 * billed line's attempt and usage as billCancelled books them.
 */
import { OperationError } from '../../shared/contract'
import type { BilledLine } from '../provider-batches/store'
import type { SettledAttempt } from './sqlite/telemetry/usage-groups'

/** A provider batch not yet settled or abandoned. */
export const OPEN_BATCH = `('preparing', 'sent', 'cancelling')`

/** A `jobs` row that a delete, clean or retention may remove: not a cancelled job whose line an open provider batch still holds. */
export const NOT_AWAITING_A_BILL = `(state <> 'cancelled' OR provider_batch_id IS NULL
  OR provider_batch_id NOT IN (SELECT id FROM provider_batches WHERE state IN ${OPEN_BATCH}))`

/** The operator's delete of such a job: refused until its batch ends, or the bill would have no job to go on. */
export function awaitingABill(id: number): OperationError {
  return new OperationError(
    'CONFLICT',
    `job ${id} was cancelled while its line waited in a provider batch that is still open, and the provider may yet bill that line: delete it once the batch has ended`,
  )
}

/** What the attempt of a cancelled job says once the provider answered its line anyway. */
export const billedLineError = (batch: string | number): string =>
  `cancelled while its line waited in provider batch ${batch}; the provider answered it, and bills it`

/** That attempt as the rollups and budgets count it. */
export function billedLineUsage(
  line: BilledLine,
  batch: { kind: string; model: string },
  attempt: { provider: string; batch_id: number | null; tags: string | null; started_at: number },
): SettledAttempt {
  return {
    endedAt: line.endedAt,
    provider: attempt.provider,
    kind: batch.kind,
    model: batch.model,
    batchId: attempt.batch_id,
    tags: attempt.tags,
    outcome: 'cancelled',
    category: 'CANCELLED',
    inputTokens: line.inputTokens,
    outputTokens: line.outputTokens,
    cachedInputTokens: line.cachedInputTokens ?? null,
    cacheWriteTokens: line.cacheWriteTokens ?? null,
    costUsd: line.costUsd,
    durationMs: line.endedAt - attempt.started_at,
  }
}
