/**
 * How many attempts may run at once against one provider and model: a limit learned from
 * overload signals (AIMD, as TCP's congestion window and Netflix's concurrency-limits do),
 * under a ceiling that is the profile's `maxConcurrent` or the engine's concurrency.
 *
 * Overload signals, and only these, lower the limit (× `backoffRatio`, 0.8 by default):
 * - a 429 (RATE_LIMIT): the provider says so;
 * - server-side failures (503 and other 5xx, timeouts, resets) when their share over the
 *   last `window` (100) attempts rises to at least 30%, and to twice the provider's
 *   baseline, and 20 points above it. The baseline is a slow average of the same share over
 *   every attempt (weight 1/1000 each). At a steady 10% the window holds 30 or more
 *   failures with probability 2.5e-8; bounded over 10,000 overlapping windows, 2.5e-4. And
 *   even one such false signal lowers the limit to 80% of the ceiling, no further: a
 *   steady 10% never pulls the limit below 80% of the configured concurrency.
 * One signal lowers the limit once: outcomes of attempts started before the last change
 * (each attempt carries the generation it started in) do not lower it again, and the window
 * of failures restarts. Successes raise it: by one each in slow start, then by 4/limit
 * each (about four slots per round of the limit), up to the ceiling.
 *
 * Slow start: when a breaker closes after its probe, the limit restarts at 1 and doubles
 * each round (each success adds one slot) up to the ceiling: with 200 ms calls, 128 slots
 * are reached in about 1.5 s. The breaker decides only whether anything runs; this limit
 * decides how many (the gates' `concurrent` room).
 */
import type { AttemptOutcome } from '../../workers/protocol'

export interface ConcurrencyOptions {
  /** Off: the limit stays at its ceiling. Default on. */
  enabled: boolean
  /** How many recent attempts the share of server failures is judged over. Default 100. */
  window: number
  /** What an overload signal multiplies the limit by. Default 0.8. */
  backoffRatio: number
}

export const DEFAULT_CONCURRENCY: ConcurrencyOptions = { enabled: true, window: 100, backoffRatio: 0.8 }

/** Failures that say the provider's servers are struggling (not the job's own, not a refused key, not a 429). */
const SERVER_FAILURES: ReadonlySet<string> = new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT', 'NETWORK', 'PROVIDER'])
/** Weight of one attempt in the baseline: it follows the provider over about a thousand attempts. */
const BASELINE_WEIGHT = 1 / 1000
/** The share of server failures in the window that reads as overload: see the header. */
const FLOOR_SHARE = 0.3
const ABOVE_BASELINE = 0.2
const TIMES_BASELINE = 2
/** Slots added per round of the limit once past slow start. */
const ADDITIVE = 4

export type OverloadSignal = 'rate_limit' | 'errors'

export interface LimitDecrease {
  name: string
  provider: string
  model: string | null
  signal: OverloadSignal
  from: number
  to: number
}

export interface ConcurrencyLimitInfo {
  name: string
  provider: string
  model: string | null
  limit: number
  ceiling: number
  inFlight: number
}

/** One attempt as the limit counts it: where it ran and the generation it started in. */
export interface Ticket {
  name: string
  generation: number
}

class Limit {
  /** Fractional: additive increase adds parts of a slot. */
  value: number
  /** Below this, each success adds a whole slot (slow start). */
  threshold: number
  generation = 0
  inFlight = 0
  baseline = 0
  /** The last `window` outcomes since the last change: true for a server failure. */
  recent: boolean[] = []
  recentFailures = 0

  constructor(
    readonly provider: string,
    readonly model: string | null,
    public ceiling: number,
  ) {
    this.value = ceiling
    this.threshold = ceiling
  }
}

export class ConcurrencyLimits {
  private readonly limits = new Map<string, Limit>()

  constructor(
    private readonly options: ConcurrencyOptions = DEFAULT_CONCURRENCY,
    private readonly onDecrease: (decrease: LimitDecrease) => void = () => {},
  ) {
    if (!Number.isInteger(options.window) || options.window < 1) throw new RangeError('options.window must be a positive integer')
    if (!(options.backoffRatio > 0 && options.backoffRatio < 1)) throw new RangeError('options.backoffRatio must be between 0 and 1')
  }

  /** The limit of `name`, made at its ceiling on first sight; a new ceiling (a profile saved) applies at once. */
  private entry(name: string, provider: string, model: string | null, ceiling: number): Limit {
    let limit = this.limits.get(name)
    if (!limit) this.limits.set(name, (limit = new Limit(provider, model, ceiling)))
    else if (limit.ceiling !== ceiling) {
      limit.ceiling = ceiling
      limit.value = Math.min(limit.value, ceiling)
      limit.threshold = Math.min(limit.threshold, ceiling)
    }
    return limit
  }

  /** Slots free now under the limit (never negative). */
  room(name: string, provider: string, model: string | null, ceiling: number): number {
    const limit = this.entry(name, provider, model, ceiling)
    return Math.max(0, this.current(limit) - limit.inFlight)
  }

  private current(limit: Limit): number {
    return this.options.enabled ? Math.max(1, Math.floor(limit.value)) : limit.ceiling
  }

  /** True when some limit is below its ceiling: then claims go track by track. */
  anyReduced(): boolean {
    for (const limit of this.limits.values()) if (this.current(limit) < limit.ceiling) return true
    return false
  }

  started(name: string, provider: string, model: string | null, ceiling: number): Ticket {
    const limit = this.entry(name, provider, model, ceiling)
    limit.inFlight++
    return { name, generation: limit.generation }
  }

  /** An attempt that never ran (a breaker refused it at the last moment): its slot is free, nothing is learned. */
  released(ticket: Ticket): void {
    const limit = this.limits.get(ticket.name)
    if (limit) limit.inFlight = Math.max(0, limit.inFlight - 1)
  }

  ended(ticket: Ticket, outcome: AttemptOutcome): void {
    const limit = this.limits.get(ticket.name)
    if (!limit) return
    limit.inFlight = Math.max(0, limit.inFlight - 1)
    const serverFailure = !outcome.ok && SERVER_FAILURES.has(outcome.category)
    limit.baseline += ((serverFailure ? 1 : 0) - limit.baseline) * BASELINE_WEIGHT
    if (outcome.ok) limit.value = Math.min(limit.ceiling, limit.value < limit.threshold ? limit.value + 1 : limit.value + ADDITIVE / Math.max(1, limit.value))
    // What started before the last change was judged with it: it says nothing of the present.
    if (ticket.generation !== limit.generation) return
    if (!outcome.ok && outcome.category === 'RATE_LIMIT') return this.decrease(ticket.name, limit, 'rate_limit')
    limit.recent.push(serverFailure)
    if (serverFailure) limit.recentFailures++
    if (limit.recent.length > this.options.window && limit.recent.shift()) limit.recentFailures--
    if (limit.recent.length >= this.options.window && limit.recentFailures / limit.recent.length >= this.overloadShare(limit)) {
      this.decrease(ticket.name, limit, 'errors')
    }
  }

  private overloadShare(limit: Limit): number {
    return Math.max(FLOOR_SHARE, limit.baseline + ABOVE_BASELINE, limit.baseline * TIMES_BASELINE)
  }

  private decrease(name: string, limit: Limit, signal: OverloadSignal): void {
    const from = this.current(limit)
    limit.value = Math.max(1, limit.value * this.options.backoffRatio)
    limit.threshold = limit.value
    this.restart(limit)
    if (this.options.enabled) this.onDecrease({ name, provider: limit.provider, model: limit.model, signal, from, to: this.current(limit) })
  }

  /** A new generation: only attempts started from now on are judged. */
  private restart(limit: Limit): void {
    limit.generation++
    limit.recent = []
    limit.recentFailures = 0
  }

  /** After a breaker's probe succeeded: one slot, doubling each round up to the ceiling. */
  slowStart(name: string): void {
    const limit = this.limits.get(name)
    if (!limit) return
    limit.value = 1
    limit.threshold = limit.ceiling
    this.restart(limit)
  }

  list(): ConcurrencyLimitInfo[] {
    return [...this.limits].map(([name, limit]) => ({
      name,
      provider: limit.provider,
      model: limit.model,
      limit: this.current(limit),
      ceiling: limit.ceiling,
      inFlight: limit.inFlight,
    }))
  }
}
