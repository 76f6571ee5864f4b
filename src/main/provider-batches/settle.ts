/**
 * Settling an ended provider batch: every result line becomes its job's attempt (priced at
 * the batch price, committed by the queue's settle in transactions of a slice each), and
 * every line the provider did not finish (expired, cancelled, missing) goes back to the
 * queue with its attempt given back, to the real-time lane when a deadline moved it. A line
 * is settled once: a job no longer submitted under this batch (cancelled meanwhile) is
 * skipped by settle's guard, and what the provider still billed for its line is counted.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises'
import { AttemptError } from '../../shared/errors'
import type { AttemptOutcome } from '../../workers/protocol'
import { resultOf } from '../queue/attempt-result'
import type { AttemptResult, FinishedJob } from '../queue/store'
import { customIdIn, type BatchApi, type LineResult, type RemoteStatus } from './api'
import { failedOutcome, lineOutcome } from './line-outcome'
import type { LaneParts } from './parts'
import type { BilledLine, ProviderBatch, SubmittedLine } from './store'
import type { TokenUsage } from '../../shared/tokens'

/** Another engine took the batch over while this one settled it (this one stalled past its lease): this one stops. */
export class LeaseLost extends Error {
  constructor(batch: Pick<ProviderBatch, 'id' | 'remoteId'>) {
    super(`provider batch ${batch.remoteId ?? batch.id} was taken over by another engine while this one settled it: it settles the rest`)
  }
}

/**
 * Commits attempts of the batch's lines: priced, fed to the breakers and metrics, announced. An answered line the settle
 * did not take (its job cancelled since the line was read) is billed as the cancelled job's attempt instead.
 */
export async function commitAttempts(
  parts: LaneParts,
  batch: ProviderBatch,
  attempts: readonly { line: SubmittedLine; outcome: AttemptOutcome }[],
): Promise<void> {
  if (attempts.length === 0) return
  const results: AttemptResult[] = []
  for (const { line, outcome } of attempts) {
    const result = resultOf(line.jobId, line.attempt, outcome, Date.now(), parts.backoff)
    // The answer is kept for an identical request later, as a real-time attempt's is.
    if (result.outcome === 'ok') {
      const cacheKey = parts.cacheKeyOf(line)
      if (cacheKey !== null) result.cache = { key: cacheKey, made: true }
    }
    const usage = outcome.ok ? outcome : { inputTokens: null, outputTokens: null }
    const usd = parts.pricing?.cost({ provider: line.provider, kind: batch.kind, model: batch.model }, usage, { lane: 'batch' }) ?? null
    result.cost = { providerKind: batch.kind, model: batch.model, usd }
    parts.hooks.onAttemptEnded?.({
      id: line.jobId,
      provider: line.provider,
      kind: batch.kind,
      model: batch.model,
      // The wait in the queue ended when the line went into its provider batch.
      readyAt: line.startedAt,
      startedAt: line.startedAt,
      endedAt: result.endedAt,
      outcome,
      refunded: result.outcome === 'error' && result.refund === true,
      costUsd: usd,
    })
    results.push(result)
  }
  const finished: FinishedJob[] = []
  const changes = await parts.store.settle(batch.id, results, finished)
  parts.hooks.onChanges(changes)
  if (finished.length > 0) parts.hooks.onFinished?.(finished)
  const settled = new Set(changes.map((change) => change.id))
  const customIds = new Map(attempts.map(({ line }) => [line.jobId, line.customId]))
  await parts.store.billCancelled(
    batch.id,
    results.flatMap((result) =>
      result.outcome === 'ok' && !settled.has(result.id)
        ? [{ ...billedUsage(result), customId: customIds.get(result.id)!, endedAt: result.endedAt, costUsd: result.cost?.usd ?? null }]
        : [],
    ),
  )
}

const billedUsage = ({ inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens }: TokenUsage): TokenUsage => ({
  inputTokens,
  outputTokens,
  cachedInputTokens,
  cacheWriteTokens,
})

/** Every line of the batch fails as one attempt with this error (an upload refused, a batch the provider failed whole). */
export async function failAll(parts: LaneParts, batch: ProviderBatch, error: unknown): Promise<void> {
  const lines = await parts.store.lines(batch.id)
  const now = Date.now()
  await commitAttempts(
    parts,
    batch,
    lines.map((line) => ({ line, outcome: failedOutcome(error, now - line.startedAt) })),
  )
}

/** A result line read, never thrown: a line the API's reader trips on fails its own job, not the whole batch's settle (polled again for ever). */
function parsedLine(api: BatchApi, text: string): LineResult {
  try {
    return api.parse(text)
  } catch (error) {
    return { customId: customIdIn(text), kind: 'malformed', reason: `the provider's result line could not be read (${(error as Error).message})` }
  }
}

/** Reads an ended batch's results and settles each line (the store counts them as they settle); answers how many went back to the queue. */
export async function settleEnded(parts: LaneParts, batch: ProviderBatch, api: BatchApi, status: RemoteStatus, toRealtime: boolean): Promise<number> {
  const { store, config } = parts
  if (status.failure !== undefined) {
    // Retryable: a batch fails whole for the account's queued-token limit as often as for a bad file; a bad file fails
    // again and its jobs reach the dead-letter queue after their attempts, a quota's wait does not cost them all at once.
    await failAll(parts, batch, new AttemptError('PROVIDER', `${batch.kind}: provider batch ${batch.remoteId} failed: ${status.failure}`))
    return 0
  }
  const open = new Map((await store.lines(batch.id)).map((line) => [line.customId, line]))
  const unfinished: number[] = []
  let slice: { line: SubmittedLine; outcome: AttemptOutcome }[] = []
  const billed: BilledLine[] = []
  // Settled a slice at a time as the results stream in: a cut connection leaves the committed lines settled and the rest
  // submitted, read again at the next poll (a line already settled is not open any more, and is skipped then).
  // Held for as long as it takes, a lease renewed at each slice: another engine never settles it over this one.
  const holding = async () => {
    if (!(await store.keepLease(batch.id, parts.owner, Date.now(), config.leaseMs))) throw new LeaseLost(batch)
  }
  await holding()
  for await (const text of api.results(batch.remoteId!)) {
    const result = parsedLine(api, text)
    const line = result.customId === null ? undefined : open.get(result.customId)
    // An answer to a line whose job the operator cancelled meanwhile: not its job's result any more, but billed all the same.
    if (!line && result.kind === 'ok') {
      const usd = parts.pricing?.cost({ provider: batch.provider, kind: batch.kind, model: batch.model }, result.usage, { lane: 'batch' }) ?? null
      billed.push({ customId: result.customId!, endedAt: Date.now(), costUsd: usd, ...result.usage })
      continue
    }
    if (!line) {
      // A line of no job we wait for (a custom_id unreadable or unknown): said, never guessed at.
      if (result.kind === 'malformed') parts.hooks.onError(new Error(`provider batch ${batch.remoteId}: ${result.reason}`), 'settling a provider batch')
      continue
    }
    open.delete(line.customId)
    if (result.kind === 'unfinished') {
      unfinished.push(line.jobId)
      continue
    }
    const outcome = await lineOutcome(line, result, { kind: batch.kind, model: batch.model, artifactsDir: parts.artifactsDir, endedAt: Date.now() })
    slice.push({ line, outcome })
    if (slice.length >= config.sliceLines) {
      await holding()
      await commitAttempts(parts, batch, slice)
      slice = []
      // The main thread also drives the window: a big batch is settled a slice a turn.
      await yieldTurn()
    }
  }
  await holding()
  await commitAttempts(parts, batch, slice)
  await store.billCancelled(batch.id, billed)
  // Lines the results never mention were not run either.
  unfinished.push(...[...open.values()].map((line) => line.jobId))
  const why = toRealtime ? 'its deadline passed: moved to the real-time lane' : `provider batch ${batch.remoteId} ended (${status.status}) before this line ran`
  parts.hooks.onChanges(await store.requeue(batch.id, unfinished, Date.now(), toRealtime, why))
  return unfinished.length
}
