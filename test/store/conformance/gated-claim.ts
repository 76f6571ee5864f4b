/**
 * The gated claim on any store: what holds work back (a batch cap, a paused batch or
 * provider, a cooldown, a rate window, a budget) is read from the store at claim time, so a
 * second connection (another engine, the CLI) is held by what the first one did. The gates
 * are the engine's own (resilience/gates.ts, queue/claim-gate.ts); only the store changes.
 */
import { expect, it, onTestFinished } from 'vitest'
import type { ClaimedJob, QueueStore } from '../../../src/main/queue/store'
import { claimGate } from '../../../src/main/queue/claim-gate'
import { BreakerBoard, DEFAULT_BREAKER } from '../../../src/main/resilience/breakers'
import { Gates } from '../../../src/main/resilience/gates'
import type { ProviderProfile } from '../../../src/shared/providers'
import type { QuotaReading } from '../../../src/shared/ratelimit-headers'
import { job, LEASE, T0 } from './harness'

export type GatedClaimStore = Pick<
  QueueStore,
  | 'enqueue'
  | 'claim'
  | 'settle'
  | 'stats'
  | 'providerPauses'
  | 'pauseProvider'
  | 'resumeProvider'
  | 'coolDown'
  | 'quotaReadingsExist'
  | 'setBatchLimit'
  | 'batchCapsExist'
  | 'pausedBatches'
  | 'pauseBatch'
  | 'resumeBatch'
  | 'batches'
  | 'costs'
  | 'upkeep'
  | 'close'
>

/** A fresh store, and a second connection to it. */
export type GatedClaimFactory = () => Promise<{ store: GatedClaimStore; another(): Promise<GatedClaimStore> }>

/** The store and a second connection, both closed when the test ends. */
export async function openBoth(factory: GatedClaimFactory): Promise<[GatedClaimStore, GatedClaimStore]> {
  const opened = await factory()
  const other = await opened.another()
  onTestFinished(async () => {
    await other.close()
    await opened.store.close()
  })
  return [opened.store, other]
}

export function gatesFor(profiles: ProviderProfile[] = []): Gates {
  const gates = new Gates(new BreakerBoard(DEFAULT_BREAKER, () => {}))
  gates.setProfiles(new Map(profiles.map((profile) => [profile.name, profile])))
  return gates
}

const profilesOf = (gates: Gates, profiles: ProviderProfile[]) => {
  gates.setProfiles(new Map(profiles.map((profile) => [profile.name, profile])))
  return new Map(profiles.map((profile) => [profile.name, profile]))
}

/** A claim as the scheduler makes one while something holds work back: gated, counting starts. */
export async function gatedClaim(store: GatedClaimStore, gates: Gates, now: number, limit = 100, owner = `o${now}`): Promise<ClaimedJob[]> {
  const { jobs } = await store.claim({ owner, limit, now, leaseMs: LEASE, gate: (facts) => gates.forClaim(facts, now), starts: gates.counting })
  return jobs
}

const done = (jobs: ClaimedJob[], endedAt: number, extra: (job: ClaimedJob) => object = () => ({})) =>
  jobs.map((j) => ({ id: j.id, outcome: 'ok' as const, endedAt, output: 'x', inputTokens: 20, outputTokens: 10, ...extra(j) }))

const many = (n: number, prefix: string, overrides: Parameters<typeof job>[1] = {}) =>
  Array.from({ length: n }, (_, i) => job(`${prefix} ${i}`, { runAt: T0, ...overrides }))

/** A gated claim while budgets pause: each attempt reserves $0.25 and 100 tokens against them. */
export async function reservingClaim(on: GatedClaimStore, now: number, owner: string): Promise<ClaimedJob[]> {
  const gates = gatesFor()
  const reserve = (route: { provider: string }, batch: number | null) => ({
    provider: route.provider,
    providerKind: 'openai',
    batchId: batch,
    usd: 0.25,
    tokens: 100,
  })
  const budgets = { anyBudgets: true, heldFor: () => {} }
  const gate = (facts: Parameters<typeof claimGate>[1]) => claimGate({ gates, profiles: new Map(), running: [], budgets, reserve }, facts, now)
  return (await on.claim({ owner, limit: 100, now, leaseMs: LEASE, gate, starts: gates.counting, reserve })).jobs
}

export function gatedClaimConformance(factory: GatedClaimFactory): void {
  it("keeps a batch's cap on jobs at once, counting jobs another connection runs; a cap set later is the operator's", async () => {
    const [store, other] = await openBoth(factory)
    expect(await store.batchCapsExist()).toBe(false)
    const capped = await store.enqueue(many(50, 'big', { priority: 0 }), 'big', T0, 3)
    const small = await store.enqueue(many(5, 'small', { priority: 2 }), 'small', T0)
    expect(await other.batchCapsExist()).toBe(true)
    // Another engine holds two of the big batch's jobs (a plain claim takes the highest priority first).
    expect((await other.claim({ owner: 'other', limit: 2, now: T0, leaseMs: LEASE })).jobs.map((j) => j.batchId)).toEqual([capped.batchId, capped.batchId])
    const gates = gatesFor()
    gates.setBatchCapsExist(true)
    const jobs = await gatedClaim(store, gates, T0)
    expect(jobs.filter((j) => j.batchId === capped.batchId)).toHaveLength(1)
    expect(jobs.filter((j) => j.batchId === small.batchId)).toHaveLength(5)
    // Priority order across tracks.
    expect(jobs.map((j) => j.prompt.split(' ')[0])).toEqual(['big', 'small', 'small', 'small', 'small', 'small'])
    expect((await store.batches.get(capped.batchId, T0))!.cappedBy).not.toBe('the operator')
    expect(await other.setBatchLimit(capped.batchId, 5)).toBe(true)
    expect(await other.setBatchLimit(capped.batchId + 1000, 5)).toBe(false)
    expect(await store.batches.get(capped.batchId, T0)).toMatchObject({ maxConcurrency: 5, cappedBy: 'the operator' })
    expect(await gatedClaim(store, gates, T0 + 1)).toHaveLength(2)
    expect(await gatedClaim(store, gates, T0 + 2)).toHaveLength(0)
    expect(await store.setBatchLimit(capped.batchId, null)).toBe(true)
    expect(await gatedClaim(store, gates, T0 + 3)).toHaveLength(45)
  })

  it('holds a paused batch until it is resumed, and tells its pause once, with its first reason', async () => {
    const [store, other] = await openBoth(factory)
    const paused = await store.enqueue(many(3, 'paused'), 'paused', T0)
    const running = await store.enqueue(many(2, 'running'), 'running', T0)
    expect(await other.pauseBatch(paused.batchId, 'over budget', T0 + 1)).toBe(true)
    expect(await other.pauseBatch(paused.batchId, 'again', T0 + 2)).toBe(true)
    expect(await other.pauseBatch(paused.batchId + 1000, 'none', T0)).toBe(false)
    expect(await store.pausedBatches()).toEqual([{ batchId: paused.batchId, reason: 'over budget', pausedAt: T0 + 1 }])
    // The gate knows of no pause itself: the store's facts hold the batch.
    const gates = gatesFor()
    expect((await gatedClaim(store, gates, T0 + 3)).map((j) => j.batchId)).toEqual([running.batchId, running.batchId])
    expect(await store.resumeBatch(paused.batchId)).toBe(true)
    expect(await other.resumeBatch(paused.batchId)).toBe(false)
    expect(await other.pausedBatches()).toEqual([])
    expect(await gatedClaim(store, gates, T0 + 4)).toHaveLength(3)
  })

  it('holds a paused provider until it is resumed, and a provider another connection cooled down', async () => {
    const [store, other] = await openBoth(factory)
    await store.enqueue([...many(2, 'p', { provider: 'p' }), ...many(2, 't', { provider: 't' }), ...many(2, 'q', { provider: 'q' })], 'b', T0)
    await other.pauseProvider('p', 'by the operator', T0)
    await other.pauseProvider('p', 'maintenance', T0 + 1)
    expect(await store.providerPauses()).toEqual([{ provider: 'p', reason: 'maintenance', pausedAt: T0 + 1 }])
    // A cooldown is never shortened.
    await other.coolDown('t', T0 + 10_000)
    await store.coolDown('t', T0 + 5_000)
    // Each claim with gates of its own, as another engine has: the cooldown comes from the store's facts.
    const pausing = async (on: GatedClaimStore) => {
      const gates = gatesFor()
      gates.setPauses(new Map((await on.providerPauses()).map((pause) => [pause.provider, pause.reason])))
      return gates
    }
    const gates = await pausing(store)
    expect((await gatedClaim(store, gates, T0 + 7)).map((j) => j.provider)).toEqual(['q', 'q'])
    expect(gates.heldReason({ provider: 't', model: null }, T0 + 7)).toMatch(/asked to wait \(Retry-After\)/)
    expect(await gatedClaim(other, await pausing(other), T0 + 9_999)).toEqual([])
    expect(await store.resumeProvider('p')).toBe(true)
    expect(await other.resumeProvider('p')).toBe(false)
    expect(await store.providerPauses()).toEqual([])
    expect((await gatedClaim(store, await pausing(store), T0 + 10_001)).map((j) => j.provider).sort()).toEqual(['p', 'p', 't', 't'])
  })

  it('two connections share one requests-per-minute window; a handed-back claim frees its place', async () => {
    const [first, second] = await openBoth(factory)
    const metered: ProviderProfile = { name: 'metered', provider: 'sim', limits: { requestsPerMinute: 7, tokensPerMinute: 100_000 } }
    await first.enqueue(many(30, 'm', { provider: 'metered' }), 'b', T0)
    const [a, b] = [gatesFor([metered]), gatesFor([metered])]
    const mine = await gatedClaim(first, a, T0)
    expect(mine).toHaveLength(7)
    expect(mine.every((j) => typeof j.startId === 'number')).toBe(true)
    expect(await gatedClaim(second, b, T0 + 1)).toHaveLength(0)
    expect(b.heldReason({ provider: 'metered', model: null }, T0 + 1)).toMatch(/at its limit of 7 requests a minute/)
    const back = mine[0]!
    await second.settle(
      [
        {
          id: back.id,
          outcome: 'error',
          endedAt: T0 + 2,
          category: 'PROVIDER',
          message: 'not started',
          retryable: true,
          retryAt: T0 + 2,
          refund: true,
          start: { id: back.startId!, freed: true },
        },
      ],
      `o${T0}`,
    )
    expect(await gatedClaim(second, b, T0 + 3)).toHaveLength(1)
    // A minute after the first starts, their places are free again.
    expect(await gatedClaim(second, b, T0 + 60_001)).toHaveLength(6)
  })

  it("corrects the tokens-per-minute window with each attempt's reported usage, and keeps the provider's reading", async () => {
    const [store, other] = await openBoth(factory)
    const tpm: ProviderProfile = { name: 't', provider: 'sim', limits: { tokensPerMinute: 1000 } }
    await store.enqueue(many(10, 'x'.repeat(400), { provider: 't', config: { maxTokens: 100 } }), 'b', T0)
    // Estimated at 101 + 100 tokens each: four fit in 1,000.
    const four = await gatedClaim(store, gatesFor([tpm]), T0)
    expect(four).toHaveLength(4)
    expect(await gatedClaim(other, gatesFor([tpm]), T0 + 1)).toHaveLength(0)
    expect(await other.quotaReadingsExist()).toBe(false)
    const reading: QuotaReading = { at: T0 + 5, sentAt: T0 + 4, requests: { limit: 100, remaining: 90, resetAt: T0 + 60_000 } }
    // They used 30 tokens each: the window has room for more once that is known, on every connection.
    await store.settle(
      done(four, T0 + 5, (j) => ({ start: { id: j.startId!, answeredAt: T0 + 5, tokens: 30, ...(j === four[0] && { reading }) } })),
      `o${T0}`,
    )
    expect(await other.quotaReadingsExist()).toBe(true)
    expect(await gatedClaim(other, gatesFor([tpm]), T0 + 6)).toHaveLength(4)
  })

  it("runs a paused profile's jobs on its fallback, counted in the fallback's window", async () => {
    const [store, other] = await openBoth(factory)
    const profiles: ProviderProfile[] = [
      { name: 'primary', provider: 'sim', model: 'model-a', fallbacks: ['backup'] },
      { name: 'backup', provider: 'sim', model: 'model-b', limits: { requestsPerMinute: 2 } },
    ]
    await store.enqueue([...many(5, 'primary', { provider: 'primary' }), ...many(2, 'backup', { provider: 'backup', priority: 2 })], 'b', T0)
    const claimWith = async (on: GatedClaimStore, now: number) => {
      const gates = gatesFor()
      const book = profilesOf(gates, profiles)
      gates.setPauses(new Map([['primary', 'by the operator']]))
      const gate = (facts: Parameters<typeof claimGate>[1]) =>
        claimGate({ gates, profiles: book, running: [], budgets: undefined, reserve: undefined }, facts, now)
      return (await on.claim({ owner: `o${now}`, limit: 100, now, leaseMs: LEASE, gate, starts: gates.counting })).jobs
    }
    const jobs = await claimWith(store, T0)
    expect(jobs.map((j) => [j.provider, j.fallback])).toEqual([
      ['primary', { provider: 'backup', model: 'model-b' }],
      ['primary', { provider: 'backup', model: 'model-b' }],
    ])
    // The backup's own jobs wait: its window is full, whoever asks.
    expect(await claimWith(other, T0 + 1)).toEqual([])
    expect((await claimWith(other, T0 + 60_001)).map((j) => j.fallback?.provider ?? j.provider)).toEqual(['backup', 'backup'])
  })

  it('reserves each claimed attempt against the budgets that pause, and releases it when the attempt is settled', async () => {
    const [store, other] = await openBoth(factory)
    const { batchId } = await store.enqueue(many(10, 'spend', { provider: 'work' }), 'b', T0)
    await store.costs.setBudget({ scope: 'batch', batchId, target: null, unit: 'usd', limit: 1, action: 'pause' }, T0)
    const claimWith = (on: GatedClaimStore, now: number) => reservingClaim(on, now, 'o')
    const four = await claimWith(store, T0)
    expect(four).toHaveLength(4)
    expect((await other.costs.budgets(T0))[0]).toMatchObject({ spent: 0, reserved: 1 })
    // The other connection weighs what this one reserved: nothing is left.
    expect(await claimWith(other, T0 + 1)).toHaveLength(0)
    await other.settle(done(four.slice(0, 2), T0 + 2), 'o')
    expect((await store.costs.budgets(T0 + 2))[0]).toMatchObject({ reserved: 0.5 })
    expect(await claimWith(other, T0 + 3)).toHaveLength(2)
    expect((await store.costs.budgets(T0 + 3))[0]).toMatchObject({ reserved: 1 })
  })

  it('counts the due jobs a gate holds, and nothing while none is held', async () => {
    const [store] = await openBoth(factory)
    // Held counts are of jobs due by the clock (T0 is still to come): five and three due, one not yet.
    const due = { runAt: 0 }
    await store.enqueue(
      [...many(5, 'p', { provider: 'p', ...due }), ...many(3, 'q', { provider: 'q', ...due }), job('later', { provider: 'p', runAt: T0 })],
      'b',
      T0,
    )
    const gates = gatesFor()
    const held = (track: { provider: string; model: string | null; batchId?: number | null }, now: number) => gates.heldReason(track, now) !== null
    expect(await store.upkeep.heldJobs(gates, 8, held)).toBe(0)
    gates.setPauses(new Map([['p', 'by the operator']]))
    expect(await store.upkeep.heldJobs(gates, 8, held)).toBe(5)
    gates.setPauses(new Map([['q', 'by the operator']]))
    expect(await store.upkeep.heldJobs(gates, 8, held)).toBe(3)
  })
}
