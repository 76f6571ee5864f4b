/** What the scheduler keeps about an attempt between dispatch and settle. */
import { allInputTokens } from '../../shared/tokens'
import type { AttemptOutcome } from '../../workers/protocol'
import { PriceBook } from '../costs/pricing'
import { promptTokens } from '../resilience/gates'
import type { AttemptTrace } from '../telemetry/attempt-trace'
import type { AttemptEnded } from './scheduler-hooks'
import type { AttemptCost, AttemptResult, ClaimedJob, Route } from './store'

export interface InFlight {
  job: ClaimedJob
  /** The provider kind and model the job's provider name resolved to at dispatch. */
  ran: { provider: string; model: string | null }
  /** The profile (or provider) and model whose gates the attempt counts against: the job's own, or the fallback the claim chose. */
  track: Route
  /** The fallback it runs on ("backup/model"), recorded on the attempt; null on its own provider. */
  ranOn: string | null
  trace: AttemptTrace | null
  /** Its request's key in the response cache, when it takes part: a completed answer is kept under it (src/main/cache). */
  cacheKey: string | null
}

/** The tokens an attempt used, for the rate windows, when its answer said: a missing side is the estimate's prompt, or no output. */
export function usedTokens(job: ClaimedJob, outcome: AttemptOutcome): number | null {
  if (!outcome.ok || (outcome.inputTokens === null && outcome.outputTokens === null)) return null
  // Every class of input: a token read from the prompt cache still takes its place in the provider's tokens per minute.
  return (outcome.inputTokens === null ? promptTokens(job.prompt.length) : allInputTokens(outcome)) + (outcome.outputTokens ?? 0)
}

/** Without a price list: the simulator and local models cost nothing, the rest has no price. */
export const NO_PRICES = new PriceBook([])

/** What the attempt ran on and cost: prices apply to the provider kind and model the job's provider resolved to. */
export function costOf({ track, ran }: InFlight, result: AttemptResult, pricing: PriceBook): AttemptCost {
  const usd = pricing.cost(
    { provider: track.provider, kind: ran.provider, model: ran.model },
    result.outcome === 'ok' ? result : { inputTokens: null, outputTokens: null },
  )
  return { providerKind: ran.provider, model: ran.model, usd }
}

/** The attempt's end as the metrics hear it. `outcome` is null when it never ran (a breaker handed the job back). */
export function endedEvent({ job, ran, track }: InFlight, outcome: AttemptOutcome | null, result: AttemptResult): AttemptEnded {
  return {
    id: job.id,
    provider: track.provider,
    kind: ran.provider,
    model: ran.model,
    readyAt: job.readyAt,
    startedAt: job.startedAt,
    endedAt: result.endedAt,
    outcome,
    refunded: result.outcome === 'error' && result.refund === true,
    costUsd: result.cost?.usd ?? null,
  }
}
