/**
 * The adaptive concurrency limit and the breakers that judge the present, with seeded
 * outcome streams: counts of openings and decreases, never times.
 */
import { describe, expect, it } from 'vitest'
import type { AttemptOutcome } from '../../src/workers/protocol'
import { BreakerBoard, DEFAULT_BREAKER, type BreakerChange } from '../../src/main/resilience/breakers'
import { ConcurrencyLimits, DEFAULT_CONCURRENCY, type LimitDecrease } from '../../src/main/resilience/concurrency-limit'
import { DEFAULT_GATES, Gates } from '../../src/main/resilience/gates'
import { job, T0, tempStore } from '../support/queue'

const ok: AttemptOutcome = { ok: true, output: 'x', artifact: null, inputTokens: 1, outputTokens: 1, firstTokenMs: null, durationMs: 1 }
const failing = (category: string, retryAfterMs: number | null = null): AttemptOutcome =>
  ({ ok: false, category, message: `simulated ${category}`, retryable: true, retryAfterMs, durationMs: 1 }) as AttemptOutcome

/** mulberry32: the same stream of draws on every run. */
function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A promise and the hand that settles it: an attempt in flight. */
function inFlight() {
  let settle!: (outcome: AttemptOutcome) => void
  const promise = new Promise<AttemptOutcome>((resolve) => (settle = resolve))
  return { attempt: () => promise, settle }
}

describe('breakers that judge the present', () => {
  it('do not open at a sustained failure rate of half the threshold, where a window of 20 does', async () => {
    const opened = async (window: number, minimumAttempts: number) => {
      const changes: BreakerChange[] = []
      const board = new BreakerBoard({ ...DEFAULT_BREAKER, window, minimumAttempts }, (change) => changes.push(change))
      const random = seeded(25)
      for (let i = 0; i < 10_000 && changes.length === 0; i++) await board.run('p', async () => (random() < 0.25 ? failing('SERVICE_UNAVAILABLE') : ok))
      return changes.filter((c) => c.to === 'open').length
    }
    expect(await opened(DEFAULT_BREAKER.window, DEFAULT_BREAKER.minimumAttempts)).toBe(0)
    expect(await opened(20, 10)).toBe(1)
  })

  it('ignore outcomes of attempts started before their last transition, and reopen only on attempts started since closing', async () => {
    const changes: BreakerChange[] = []
    const board = new BreakerBoard({ ...DEFAULT_BREAKER, window: 4, minimumAttempts: 4, openMs: 1 }, (change) => changes.push(change))
    // Six attempts start while closed; four fail and open the breaker; two are still out.
    const stale = [inFlight(), inFlight()]
    const running = stale.map((s) => board.run('p', s.attempt))
    for (let i = 0; i < 4; i++) await board.run('p', async () => failing('TIMEOUT'))
    expect(board.status('p')!.state).toBe('open')
    await new Promise((resolve) => setTimeout(resolve, 5))
    // The probe starts (half-open): a stale failure now decides nothing.
    const probe = inFlight()
    const probing = board.run('p', probe.attempt)
    expect(board.status('p')!.state).toBe('half-open')
    stale[0]!.settle(failing('SERVICE_UNAVAILABLE'))
    await running[0]
    expect(board.status('p')!.state).toBe('half-open')
    probe.settle(ok)
    await probing
    expect(board.status('p')!.state).toBe('closed')
    // Closed: the last stale failure and three fresh successes do not reopen it, one fresh failure among four does not either.
    stale[1]!.settle(failing('SERVICE_UNAVAILABLE'))
    await running[1]
    for (const outcome of [ok, ok, failing('TIMEOUT'), ok]) await board.run('p', async () => outcome)
    expect(board.status('p')!.state).toBe('closed')
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open', 'open>half-open', 'half-open>closed'])
  })
})

describe('the adaptive concurrency limit', () => {
  const ceiling = 100
  function limits() {
    const decreases: LimitDecrease[] = []
    return { limits: new ConcurrencyLimits(DEFAULT_CONCURRENCY, (d) => decreases.push(d)), decreases }
  }
  /** Runs `n` attempts `width` at a time, each failing as `draw` says. */
  function stream(l: ConcurrencyLimits, n: number, width: number, draw: () => AttemptOutcome) {
    let lowest = Infinity
    for (let done = 0; done < n; done += width) {
      const tickets = Array.from({ length: width }, () => l.started('p/m', 'p', 'm', ceiling))
      for (const ticket of tickets) l.ended(ticket, draw())
      lowest = Math.min(lowest, l.list()[0]!.limit)
    }
    return lowest
  }

  it('is not pulled below 80% of its ceiling by random server failures at a steady 10%', () => {
    const { limits: l, decreases } = limits()
    const random = seeded(10)
    const lowest = stream(l, 20_000, 50, () => (random() < 0.1 ? failing(random() < 0.5 ? 'SERVICE_UNAVAILABLE' : 'TIMEOUT') : ok))
    expect(lowest).toBeGreaterThanOrEqual(0.8 * ceiling)
    expect(decreases).toEqual([])
  })

  it('is lowered when server failures surge well above their baseline, once per generation, and raised as successes return', () => {
    const { limits: l, decreases } = limits()
    const random = seeded(3)
    stream(l, 2000, 50, () => (random() < 0.05 ? failing('SERVICE_UNAVAILABLE') : ok))
    expect(decreases).toEqual([])
    const lowest = stream(l, 300, 50, () => (random() < 0.6 ? failing('SERVICE_UNAVAILABLE') : ok))
    expect(decreases.length).toBeGreaterThan(0)
    // At most one decrease per 100 fresh outcomes: the window restarts with each.
    expect(decreases.length).toBeLessThanOrEqual(3)
    expect(decreases.every((d) => d.signal === 'errors' && d.to < d.from)).toBe(true)
    expect(lowest).toBeLessThan(ceiling)
    stream(l, 3000, 10, () => ok)
    expect(l.list()[0]!.limit).toBe(ceiling)
  })

  it('takes one decrease for 429s answered to attempts started together, and another for the next round', () => {
    const { limits: l, decreases } = limits()
    const round = Array.from({ length: 10 }, () => l.started('p/m', 'p', 'm', ceiling))
    for (const ticket of round) l.ended(ticket, failing('RATE_LIMIT', 1000))
    expect(decreases.map((d) => [d.from, d.to])).toEqual([[100, 80]])
    l.ended(l.started('p/m', 'p', 'm', ceiling), failing('RATE_LIMIT', 1000))
    expect(decreases.map((d) => [d.from, d.to])).toEqual([
      [100, 80],
      [80, 64],
    ])
  })

  it('refuses options it cannot work with, naming them', () => {
    expect(() => new ConcurrencyLimits({ ...DEFAULT_CONCURRENCY, window: 0 })).toThrow('options.window must be a positive integer')
    expect(() => new ConcurrencyLimits({ ...DEFAULT_CONCURRENCY, backoffRatio: 1 })).toThrow('options.backoffRatio must be between 0 and 1')
  })

  it("ramps up after a breaker's probe: 1, 2, 4, … slots to the ceiling", () => {
    const { limits: l } = limits()
    l.room('p/m', 'p', 'm', 64)
    l.slowStart('p/m')
    const rounds: number[] = []
    while (rounds.length < 10) {
      const room = l.room('p/m', 'p', 'm', 64)
      rounds.push(room)
      const tickets = Array.from({ length: room }, () => l.started('p/m', 'p', 'm', 64))
      for (const ticket of tickets) l.ended(ticket, ok)
      if (room === 64) break
    }
    expect(rounds).toEqual([1, 2, 4, 8, 16, 32, 64])
  })
})

describe('the gates with a learned limit', () => {
  it('admit no more than the limit after a probe closes the breaker, and a single 429 holds nobody else', async () => {
    const store = tempStore()
    store.enqueue(
      Array.from({ length: 40 }, (_, i) => job(`j ${i}`, { provider: 'p', runAt: T0 })),
      'b',
      T0,
    )
    const board = new BreakerBoard({ ...DEFAULT_BREAKER, window: 4, minimumAttempts: 4, openMs: 1 }, () => {})
    const gates = new Gates(board, () => {}, { ...DEFAULT_GATES, concurrency: 16 })
    const claim = () => store.claim({ owner: 'me', limit: 100, now: T0, leaseMs: 60_000, gate: (facts) => gates.forClaim(facts, Date.now()) }).jobs
    for (let i = 0; i < 4; i++) await gates.run({ provider: 'p', model: null }, async () => failing('SERVICE_UNAVAILABLE'))
    await new Promise((resolve) => setTimeout(resolve, 5))
    const [probe, ...others] = claim()
    expect(others).toHaveLength(0)
    await gates.run(probe!, async () => ok)
    expect(board.status('p')!.state).toBe('closed')
    // Slow start: the probe was the first slot; its success makes two, theirs four.
    const second = claim()
    expect(second).toHaveLength(2)
    await Promise.all(second.map((j) => gates.run(j, async () => ok)))
    expect(claim()).toHaveLength(4)
    // A single 429 answered now delays only its own job: the provider is not cooling down.
    gates.finished('p', failing('RATE_LIMIT', 60_000), Date.now())
    expect(gates.heldReason({ provider: 'p', model: null }, Date.now())).toBeNull()
  })
})
