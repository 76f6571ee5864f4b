/**
 * One circuit breaker per provider and model. The scheduler asks a breaker before it
 * claims (`allowance`): while open, none of its jobs are claimed, so they wait in the queue
 * and burn no attempts; once the wait is over it lets exactly one probe through (half-open),
 * whose success closes the breaker and whose failure opens it again for longer
 * (exponential, capped by `maxOpenMs`: 5 s by default, so recovery is seen within 10 s of health).
 *
 * It judges the present. Every transition starts a new generation, and each attempt is
 * tagged with the generation it started in: the outcome of an attempt started before the
 * last transition decides nothing (a request in flight when the breaker opened, failing
 * after the probe closed it, does not reopen it). Once closed, it reopens only on attempts
 * started since, and the work it lets through ramps up: the gates' concurrency limit
 * restarts at one slot (slow start, resilience/concurrency-limit.ts), so a probe that
 * succeeds does not release the whole concurrency onto a provider just back.
 *
 * Why the window (defaults: the last 100 attempts since the last transition, opening on
 * more than 50% failed once at least 50 are in): a sustained failure rate of half the
 * threshold (25%) must not open it. With 25% true failures, the chance that 50 to 100
 * attempts after a transition hold more than half failures is 7.9e-5; once the window is
 * full, one window of 100 holds 51 or more with probability 2.1e-8, and over 10,000 attempts
 * (each a new, overlapping window) at most 2.1e-4. A window of 20 (the old default) holds
 * 11 or more failures at 25% with probability 0.4%: in simulation it opened within 1,000
 * attempts six times in ten, within 10,000 always. The
 * price is speed: a provider that fails every call opens its breaker after 51 attempts (a
 * single round at 128 slots).
 *
 * cockatiel keeps what it does well: the exponential wait before a probe and the count
 * window. Its policy object cannot tell a stale outcome from a present one (it judges every
 * outcome against the state at its end), so the state machine is written here.
 */
import { CircuitState, CountBreaker, ExponentialBackoff, noJitterGenerator, type IBackoff } from 'cockatiel'
import { BREAKER_CATEGORIES, type BreakerState } from '../../shared/resilience'
import type { AttemptOutcome } from '../../workers/protocol'

export interface BreakerOptions {
  /** Share of the last `window` attempts that must fail (strictly more than) to open the breaker. Default 0.5. */
  failureRatio: number
  /** How many recent attempts, started since the last transition, the ratio is taken over. Default 100. */
  window: number
  /** Fewer attempts than this in the window never open the breaker. Default 50. */
  minimumAttempts: number
  /** First wait before a probe; each failed probe doubles it. Default 3 s. */
  openMs: number
  /** Longest wait before a probe. Default 5 s (see DEFAULT_BREAKER). */
  maxOpenMs: number
}

/**
 * The probe's wait starts at 3 s and is capped at 5 s. A probe is one request, so probing a
 * provider that stays down every 5 s costs 720 requests an hour; in exchange the first probe
 * after health comes within 5 s, and slow start (1, 2, 4 ... slots, a round per latency)
 * reaches 128 slots in 7 rounds (2.8 s at 0.4 s a request): full rate within 10 s of health
 * at sub-second latency (bench/real-world's outage run measures it). For a provider known to
 * be out for long, raise `breaker.maxOpenMs` (genops settings set breaker.maxOpenMs 5m).
 */
export const DEFAULT_BREAKER: BreakerOptions = { failureRatio: 0.5, window: 100, minimumAttempts: 50, openMs: 3_000, maxOpenMs: 5_000 }

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

/** True for an attempt that says the provider is in trouble. */
const countsAgainstProvider = (outcome: AttemptOutcome) => !outcome.ok && BREAKER_CATEGORIES.has(outcome.category)

class Breaker {
  status: BreakerStatus
  /** Bumped by every transition; an attempt's outcome counts only in the generation it started in. */
  generation = 0
  window: CountBreaker
  /** The wait drawn when the breaker last opened; the next failed probe draws the one after it. */
  wait: IBackoff<unknown> | null = null

  constructor(
    name: string,
    private readonly options: BreakerOptions,
  ) {
    this.status = { name, state: 'closed', openUntil: null, since: Date.now(), reason: null }
    this.window = this.newWindow()
  }

  newWindow(): CountBreaker {
    const { failureRatio, window, minimumAttempts } = this.options
    // CountBreaker takes a ratio below 1: "more than all of them" never happens, so 1 means the same as just below it.
    return new CountBreaker({ threshold: Math.min(failureRatio, 0.999_999), size: window, minimumNumberOfCalls: Math.min(minimumAttempts, window) })
  }
}

export class BreakerBoard {
  private readonly breakers = new Map<string, Breaker>()
  private readonly listeners: ((change: BreakerChange) => void)[] = []
  /** The first wait of an opening; each failed probe takes the next from the wait before it. */
  private readonly waits: { next(): IBackoff<unknown> }

  constructor(
    private readonly options: BreakerOptions,
    private readonly onChange: (change: BreakerChange) => void,
  ) {
    this.waits = new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: options.openMs, maxDelay: options.maxOpenMs, exponent: 2 })
  }

  /** Hears every transition after the board's own `onChange` (the gates restart their limit when a breaker closes). */
  listen(listener: (change: BreakerChange) => void): void {
    this.listeners.push(listener)
  }

  private get(name: string): Breaker {
    let breaker = this.breakers.get(name)
    if (!breaker) this.breakers.set(name, (breaker = new Breaker(name, this.options)))
    return breaker
  }

  private transition(breaker: Breaker, to: BreakerState, origin: ChangeOrigin, reason: string | null, until?: number): void {
    const at = Date.now()
    const from = breaker.status.state
    breaker.generation++
    breaker.window = breaker.newWindow()
    let openUntil: number | null = null
    if (to === 'open' && until !== undefined) {
      // Opened as the record says (another engine, or before a restart): until the time it named, the next failed probe waits `openMs` doubled.
      breaker.wait = this.waits.next()
      openUntil = until
    } else if (to === 'open') {
      // A failed probe waits longer than the wait before it; an opening from closed starts again at `openMs`.
      const wait = from === 'half-open' && breaker.wait ? breaker.wait.next(undefined) : this.waits.next()
      breaker.wait = wait
      openUntil = at + wait.duration
    } else if (to === 'closed') breaker.wait = null
    breaker.status = { name: breaker.status.name, state: to, openUntil, since: at, reason }
    const change = { origin, breaker: breaker.status.name, at, from, to, openUntil, reason }
    this.onChange(change)
    for (const listener of this.listeners) listener(change)
  }

  /**
   * Runs an attempt through its breaker, which counts the outcome if nothing changed since
   * it started. Resolves with `held` when the breaker refused it (the scheduler claims so
   * that this is rare: a job claimed just as another process's command opened the breaker).
   */
  async run(name: string, attempt: () => Promise<AttemptOutcome>): Promise<AttemptOutcome | 'held'> {
    const breaker = this.get(name)
    const { state, openUntil } = breaker.status
    if (state === 'isolated' || state === 'half-open' || (state === 'open' && Date.now() < (openUntil ?? 0))) return 'held'
    if (state === 'open') this.transition(breaker, 'half-open', 'breaker', null)
    const generation = breaker.generation
    let outcome: AttemptOutcome
    try {
      outcome = await attempt()
    } catch (error) {
      // A probe that could not even run proves nothing: wait again before the next.
      if (breaker.generation === generation && breaker.status.state === 'half-open') this.transition(breaker, 'open', 'breaker', 'the probe could not run')
      throw error
    }
    if (breaker.generation === generation) this.judge(breaker, outcome)
    return outcome
  }

  private judge(breaker: Breaker, outcome: AttemptOutcome): void {
    const failed = countsAgainstProvider(outcome)
    if (breaker.status.state === 'half-open') {
      if (failed) this.transition(breaker, 'open', 'breaker', `the probe failed (${describe(outcome)})`)
      else this.transition(breaker, 'closed', 'breaker', null)
    } else if (breaker.status.state === 'closed') {
      if (!failed) breaker.window.success(CircuitState.Closed)
      else if (breaker.window.failure(CircuitState.Closed))
        this.transition(breaker, 'open', 'breaker', `too many recent attempts failed; the last: ${describe(outcome)}`)
    }
  }

  /** How many attempts may start now: all while closed (the gates' concurrency limit then decides), none while open or probing, one probe once the wait is over. */
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

  /** True when some breaker holds work back: the scheduler then claims track by track. */
  anyHolding(): boolean {
    for (const breaker of this.breakers.values()) if (breaker.status.state !== 'closed') return true
    return false
  }

  /** Closes the breaker, whatever its state; its failure count starts again. */
  reset(name: string, reason = 'reset by the operator', origin: ChangeOrigin = 'operator'): void {
    const breaker = this.get(name)
    if (breaker.status.state !== 'closed') this.transition(breaker, 'closed', origin, reason)
  }

  /** Opens a closed breaker until `until`, as another engine on the store (or this one before a restart) recorded it. */
  openedElsewhere(name: string, until: number, reason: string | null): void {
    const breaker = this.get(name)
    if (breaker.status.state === 'closed') this.transition(breaker, 'open', 'logged-command', reason ? `opened by another engine: ${reason}` : 'opened by another engine', until)
  }

  /** Holds the breaker open until a reset: for a provider the operator knows is down. */
  isolate(name: string, origin: ChangeOrigin = 'operator'): void {
    const breaker = this.get(name)
    if (breaker.status.state !== 'isolated') this.transition(breaker, 'isolated', origin, 'held open by the operator')
  }
}

function describe(outcome: AttemptOutcome): string {
  return outcome.ok ? 'ok' : `${outcome.category}: ${outcome.message}`
}
