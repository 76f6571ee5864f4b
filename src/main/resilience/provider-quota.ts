/**
 * Limits learned from the provider: what its newest response's rate-limit headers said
 * remains of its requests and tokens and when that resets, less what was started since
 * that the reading may not include (counted by the store from the shared log of starts,
 * store/sqlite/queue/rate-state.ts, so every process on the queue spends one quota). The gates
 * admit work against it, so a batch spends its quota without running into it; a profile's
 * own requestsPerMinute/tokensPerMinute stay as ceilings beside it (gates.ts takes the smaller).
 *
 * The model is a step, not a refill: what remains stays what remains until the reset time
 * the provider named, then the whole limit is back. That is exact for a fixed window and
 * conservative for a bucket that refills continuously (OpenAI names the time until it is
 * full): waiting for the full bucket and then spending it keeps the same rate, and every
 * response in between brings a fresh reading anyway.
 */
import type { QuotaReading } from '../../shared/ratelimit-headers'

/** What a provider's own budgets let a claim start now. */
export interface QuotaRoom {
  requests: number
  tokens: number
  /** The provider's whole token budget: a job bigger than it may still run alone in a fresh one. */
  tokenLimit: number
}

/** Requests and tokens (as estimated when they were sent: providers charge prompt plus max_tokens on arrival) the reading may not include. */
export interface QuotaSpent {
  requests: number
  tokens: number
}

/**
 * An attempt that never reports back (its process was killed mid-request) stops counting
 * after this long, so a lost answer cannot shrink the room for good.
 */
export const UNANSWERED_EXPIRY_MS = 120_000

/** Anthropic's combined budget is the most restrictive; its input budget stands in when that is missing. */
export const tokenBudget = (reading: QuotaReading) => reading.tokens ?? reading.inputTokens

/** What remains of each budget now: before its reset, the reading's remainder; after it, the whole limit; less what was spent since. */
export function quotaRoom(reading: QuotaReading, spent: QuotaSpent, now: number): QuotaRoom {
  const tokens = tokenBudget(reading)
  const left = (budget: { limit: number; remaining: number; resetAt: number }) => (now >= budget.resetAt ? budget.limit : budget.remaining)
  return {
    requests: reading.requests ? left(reading.requests) - spent.requests : Infinity,
    tokens: tokens ? left(tokens) - spent.tokens : Infinity,
    tokenLimit: tokens?.limit ?? Infinity,
  }
}

/** Why this provider's jobs wait, in the operator's words; null when its budgets have room. */
export function quotaHeldReason(provider: string, reading: QuotaReading, room: QuotaRoom): string | null {
  const budget = room.requests <= 0 ? reading.requests : room.tokens <= 0 ? tokenBudget(reading) : undefined
  if (!budget) return null
  const what = budget === reading.requests ? 'requests' : 'tokens'
  return `held: ${provider} says its ${what} are used up (limit ${budget.limit}) until ${new Date(budget.resetAt).toLocaleTimeString()}`
}
