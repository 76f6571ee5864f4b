/**
 * One circuit breaker per provider and model, built on cockatiel. The scheduler asks a
 * breaker before it claims (`allowance`): while open, none of its jobs are claimed, so
 * they wait in the queue and burn no attempts; once the wait is over it lets exactly one
 * probe through (cockatiel's half-open), whose success closes the breaker and whose
 * failure opens it again for longer (exponential, capped).
 *
 * cockatiel keeps the state machine; this module adds what a queue needs around it: when
 * an open breaker will take a probe (cockatiel does not expose it, so the wait it draws is
 * noted as it is drawn), transitions as events, and the operator's reset and force-open.
 */
import {
  BrokenCircuitError,
  CircuitState,
  CountBreaker,
  ExponentialBackoff,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhenResult,
  noJitterGenerator,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
} from 'cockatiel'
import { BREAKER_CATEGORIES, type BreakerState } from '../../shared/resilience'
import type { AttemptOutcome } from '../../workers/protocol'

export interface BreakerOptions {
  /** Share of the last `window` attempts that must fail to open the breaker. Default 0.5. */
  failureRatio: number
  /** How many recent attempts the ratio is taken over. Default 20. */
  window: number
  /** Fewer attempts than this in the window never open the breaker. Default 10. */
  minimumAttempts: number
  /** First wait before a probe; each failed probe doubles it. Default 10 s. */
  openMs: number
  /** Longest wait before a probe. Default 5 minutes. */
  maxOpenMs: number
}

export const DEFAULT_BREAKER: BreakerOptions = { failureRatio: 0.5, window: 20, minimumAttempts: 10, openMs: 10_000, maxOpenMs: 300_000 }

/**
 * Who made a change: the breaker itself, the operator here, or an operator's command read
 * from the database (already recorded there by whoever wrote it).
 */
export type ChangeOrigin = 'breaker' | 'operator' | 'logged-command'

export interface BreakerChange {
  origin: ChangeOrigin
  breaker: string
  at: number
  from: BreakerState
  to: BreakerState
  openUntil: number | null
  reason: string | null
}

export interface BreakerStatus {
  name: string
  state: BreakerState
  openUntil: number | null
  since: number
  reason: string | null
}

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
}

/** True for an attempt that says the provider is in trouble. */
const countsAgainstProvider = (outcome: unknown) => {
  const result = outcome as AttemptOutcome
  return !result.ok && BREAKER_CATEGORIES.has(result.category)
}

class Breaker {
  readonly policy: CircuitBreakerPolicy
  status: BreakerStatus
  /** The operator's force-open, released by a reset. */
  isolation: { dispose(): void } | null = null
  /** Set while the operator's reset passes through cockatiel's isolate-and-release, so it reads as one transition. */
  resetting = false
  /** Who is changing the breaker from outside (an isolate), for the transition it causes. */
  origin: ChangeOrigin = 'breaker'
  private drawnWaitMs = 0

  constructor(name: string, options: BreakerOptions, onChange: (breaker: Breaker, to: BreakerState) => void) {
    this.status = { name, state: 'closed', openUntil: null, since: Date.now(), reason: null }
    this.policy = circuitBreaker(handleWhenResult(countsAgainstProvider), {
      breaker: new CountBreaker({ threshold: options.failureRatio, size: options.window, minimumNumberOfCalls: options.minimumAttempts }),
      halfOpenAfter: this.notedBackoff(options),
    })
    this.policy.onStateChange((state) => onChange(this, STATES[state]))
  }

  /** When the breaker opened last, the wait cockatiel drew for it: so the scheduler knows when a probe may go. */
  get lastWaitMs(): number {
    return this.drawnWaitMs
  }

  private notedBackoff(options: BreakerOptions): IBackoffFactory<unknown> {
    const note = (backoff: IBackoff<unknown>): IBackoff<unknown> => {
      this.drawnWaitMs = backoff.duration
      return { duration: backoff.duration, next: (context) => note(backoff.next(context)) }
    }
    const exponential = new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: options.openMs, maxDelay: options.maxOpenMs, exponent: 2 })
    return { next: () => note(exponential.next()) }
  }
}

export class BreakerBoard {
  private readonly breakers = new Map<string, Breaker>()

  constructor(
    private readonly options: BreakerOptions,
    private readonly onChange: (change: BreakerChange) => void,
  ) {}

  private get(name: string): Breaker {
    let breaker = this.breakers.get(name)
    if (!breaker) {
      breaker = new Breaker(name, this.options, (b, to) => this.changed(b, to))
      this.breakers.set(name, breaker)
    }
    return breaker
  }

  private changed(breaker: Breaker, to: BreakerState): void {
    if (breaker.resetting) return
    const at = Date.now()
    const from = breaker.status.state
    const openUntil = to === 'open' ? at + breaker.lastWaitMs : null
    const reason = to === 'open' ? describeFailure(breaker.policy.lastFailure, from) : to === 'isolated' ? 'held open by the operator' : null
    breaker.status = { name: breaker.status.name, state: to, openUntil, since: at, reason }
    this.onChange({ origin: breaker.origin, breaker: breaker.status.name, at, from, to, openUntil, reason })
  }

  /**
   * Runs an attempt through its breaker, which counts the outcome. Resolves with
   * `held` when the breaker refused it (the scheduler claims so that this is rare: a
   * job claimed just as another process's command opened the breaker).
   */
  async run(name: string, attempt: () => Promise<AttemptOutcome>): Promise<AttemptOutcome | 'held'> {
    try {
      return await this.get(name).policy.execute(attempt)
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) return 'held'
      throw error
    }
  }

  /** How many attempts may start now: all while closed, none while open or probing, one probe once the wait is over. */
  allowance(name: string, now: number): number {
    const status = this.breakers.get(name)?.status
    if (!status || status.state === 'closed') return Infinity
    return status.state === 'open' && now >= (status.openUntil ?? 0) ? 1 : 0
  }

  status(name: string): BreakerStatus | undefined {
    return this.breakers.get(name)?.status
  }

  list(): BreakerStatus[] {
    return [...this.breakers.values()].map((breaker) => breaker.status)
  }

  /** True when some breaker holds work back: the scheduler then claims lane by lane. */
  anyHolding(): boolean {
    for (const breaker of this.breakers.values()) if (breaker.status.state !== 'closed') return true
    return false
  }

  /** Closes the breaker, whatever its state; its failure count starts again. */
  reset(name: string, reason = 'reset by the operator', origin: ChangeOrigin = 'operator'): void {
    const breaker = this.get(name)
    const from = breaker.status.state
    if (from === 'closed') return
    breaker.resetting = true
    try {
      breaker.isolation?.dispose()
      breaker.isolation = null
      // cockatiel has no reset: isolating and releasing is its way back to closed from any state.
      if (breaker.policy.state !== CircuitState.Closed) breaker.policy.isolate().dispose()
    } finally {
      breaker.resetting = false
    }
    const at = Date.now()
    breaker.status = { name, state: 'closed', openUntil: null, since: at, reason }
    this.onChange({ origin, breaker: name, at, from, to: 'closed', openUntil: null, reason })
  }

  /** Holds the breaker open until a reset: for a provider the operator knows is down. */
  isolate(name: string, origin: ChangeOrigin = 'operator'): void {
    const breaker = this.get(name)
    if (breaker.isolation) return
    breaker.origin = origin
    try {
      breaker.isolation = breaker.policy.isolate()
    } finally {
      breaker.origin = 'breaker'
    }
  }
}

function describeFailure(failure: CircuitBreakerPolicy['lastFailure'], from: BreakerState): string {
  const outcome = failure && 'value' in failure ? (failure.value as AttemptOutcome) : undefined
  const last = outcome && !outcome.ok ? `${outcome.category}: ${outcome.message}` : failure && 'error' in failure ? failure.error.message : 'unknown'
  return from === 'half-open' ? `the probe failed (${last})` : `too many recent attempts failed; the last: ${last}`
}
