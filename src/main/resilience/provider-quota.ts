/**
 * Limits learned from the provider: per provider (profile name), what its newest response's
 * rate-limit headers said remains of its requests and tokens and when that resets, less
 * what was started here since. The gates admit work against it, so a batch spends its
 * quota without running into it; a profile's own requestsPerMinute/tokensPerMinute stay
 * as ceilings beside it (gates.ts takes the smaller).
 *
 * The model is a step, not a refill: what remains stays what remains until the reset time
 * the provider named, then the whole limit is back. That is exact for a fixed window and
 * conservative for a bucket that refills continuously (OpenAI names the time until it is
 * full): waiting for the full bucket and then spending it keeps the same rate, and every
 * response in between brings a fresh reading anyway.
 */
import type { QuotaBudget, QuotaReading } from '../../shared/ratelimit-headers'
import type { Start } from './minute-window'

/** What a provider's own budgets let a claim start now. */
export interface QuotaRoom {
  requests: number
  tokens: number
  /** The provider's whole token budget: a job bigger than it may still run alone in a fresh one. */
  tokenLimit: number
}

interface Tracked {
  start: Start
  /**
   * Tokens as estimated when it started: providers charge the estimate (prompt plus
   * max_tokens) when a request arrives, whatever the answer then used.
   */
  tokens: number
  /**
   * When the provider had surely counted this attempt: the time its own answer's headers were
   * read (its end, when it had none; null while it runs). A reading whose request was sent
   * at or after that time includes it; any other reading may not, so it is counted against
   * that reading (twice at worst, never not at all).
   */
  answeredAt: number | null
  /** The reading its answer brought: that one counts it already. */
  reading?: QuotaReading | undefined
}

interface Provider {
  reading: QuotaReading | undefined
  tracked: Tracked[]
}

/**
 * An attempt that never reports back (a job a breaker handed back at the last moment) stops
 * counting after this long, so a lost answer cannot shrink the room for good.
 */
export const UNANSWERED_EXPIRY_MS = 120_000
/** Answered attempts kept for a provider that has sent no reading yet (a late first reading may be older than them). */
const UNREAD_KEEP_MS = 30_000
/** The tracking list is pruned once it is this long. */
const PRUNE_AT = 256

export class ProviderQuotas {
  private readonly providers = new Map<string, Provider>()
  private readings = 0

  /** True once any provider has sent a reading: claims must then go lane by lane. */
  known(): boolean {
    return this.readings > 0
  }

  private of(provider: string): Provider {
    let entry = this.providers.get(provider)
    if (!entry) this.providers.set(provider, (entry = { reading: undefined, tracked: [] }))
    return entry
  }

  /** An attempt of this provider started: it counts against what remains until an answer's reading includes it. */
  started(provider: string, start: Start): void {
    const entry = this.of(provider)
    entry.tracked.push({ start, tokens: start.tokens, answeredAt: null })
    if (entry.tracked.length >= PRUNE_AT) prune(entry, start.at)
  }

  /** An attempt ended, with the reading its answer carried (none for a failure that never reached the provider, or one without headers). */
  finished(provider: string, start: Start, reading: QuotaReading | undefined, now: number): void {
    const entry = this.of(provider)
    const tracked = entry.tracked.find((t) => t.start === start)
    if (tracked) {
      tracked.answeredAt = reading?.at ?? now
      tracked.reading = reading
    }
    // Answers finish out of order: an older reading than the one known says less.
    if (reading && !(entry.reading && entry.reading.sentAt >= reading.sentAt)) {
      if (!entry.reading) this.readings++
      entry.reading = reading
    }
    if (entry.tracked.length >= PRUNE_AT) prune(entry, now)
  }

  /** What the provider's budgets allow now; undefined when it never said. */
  room(provider: string, now: number): QuotaRoom | undefined {
    const entry = this.providers.get(provider)
    const reading = entry?.reading
    if (!entry || !reading) return undefined
    const tokens = tokenBudget(reading)
    return {
      requests: reading.requests ? left(reading.requests, reading, entry.tracked, now, () => 1) : Infinity,
      tokens: tokens ? left(tokens, reading, entry.tracked, now, (t) => t.tokens) : Infinity,
      tokenLimit: tokens?.limit ?? Infinity,
    }
  }

  /** Why this provider's jobs wait, in the operator's words; null when its budgets have room. */
  heldReason(provider: string, now: number): string | null {
    const room = this.room(provider, now)
    const reading = this.providers.get(provider)?.reading
    if (!room || !reading) return null
    const budget = room.requests <= 0 ? reading.requests : room.tokens <= 0 ? tokenBudget(reading) : undefined
    if (!budget) return null
    const what = budget === reading.requests ? 'requests' : 'tokens'
    return `held: ${provider} says its ${what} are used up (limit ${budget.limit}) until ${new Date(budget.resetAt).toLocaleTimeString()}`
  }
}

/** Anthropic's combined budget is the most restrictive; its input budget stands in when that is missing. */
const tokenBudget = (reading: QuotaReading) => reading.tokens ?? reading.inputTokens

/**
 * What remains of one budget now: before its reset, the reading's remainder less the
 * attempts the reading may not include; after it, the whole limit less those answered
 * after the reset or still running.
 */
function left(budget: QuotaBudget, reading: QuotaReading, tracked: Tracked[], now: number, cost: (t: Tracked) => number): number {
  const reset = now >= budget.resetAt
  const since = reset ? budget.resetAt : reading.sentAt
  let spent = 0
  for (const t of tracked) {
    const counts = t.answeredAt === null ? t.start.at > now - UNANSWERED_EXPIRY_MS : t.answeredAt >= since && (reset || t.reading !== reading)
    if (counts) spent += cost(t)
  }
  return (reset ? budget.limit : budget.remaining) - spent
}

/** Drops what no budget counts any more: attempts answered before every budget's reference time, and lost ones. */
function prune(entry: Provider, now: number): void {
  const { reading } = entry
  let needed = now - UNREAD_KEEP_MS
  if (reading) {
    const budgets = [reading.requests, tokenBudget(reading)].filter((budget) => budget !== undefined)
    needed = Math.min(...budgets.map((budget) => (now >= budget.resetAt ? budget.resetAt : reading.sentAt)))
  }
  entry.tracked = entry.tracked.filter(({ start, answeredAt }) => (answeredAt === null ? start.at > now - UNANSWERED_EXPIRY_MS : answeredAt >= needed))
}
