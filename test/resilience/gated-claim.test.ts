/**
 * The gated claim on a real SQLite file: tracks held by a breaker, a paused provider, a
 * profile's limits or a batch cap are skipped, and what is let through keeps priority order.
 */
import { describe, expect, it } from 'vitest'
import { BreakerBoard, DEFAULT_BREAKER } from '../../src/main/resilience/breakers'
import { Gates } from '../../src/main/resilience/gates'
import type { ClaimedJob } from '../../src/main/queue/store'
import { TRACK_HEAD, NEXT_TRACK } from '../../src/main/store/sqlite/queue/tracks'
import type { ProviderProfile } from '../../src/shared/providers'
import { expectCountsAgree, job, T0, tempStore } from '../support/queue'

function gatesWith(profiles: ProviderProfile[] = []) {
  const holds: string[] = []
  const gates = new Gates(new BreakerBoard(DEFAULT_BREAKER, () => {}), (provider, kind) => holds.push(`${provider}:${kind}`))
  gates.setProfiles(new Map(profiles.map((p) => [p.name, p])))
  return { gates, holds }
}

function claim(store: ReturnType<typeof tempStore>, gates: Gates, limit: number, now = T0): ClaimedJob[] {
  return store.claim({ owner: 'me', limit, now, leaseMs: 60_000, gate: (facts) => gates.forClaim(facts, now), starts: gates.counting }).jobs
}

describe('the gated claim', () => {
  it("skips a track whose breaker is open and still claims the others' jobs, in priority order across tracks", () => {
    const store = tempStore()
    store.enqueue(
      Array.from({ length: 500 }, (_, i) => job(`down ${i}`, { provider: 'down', priority: 0, runAt: T0 })),
      'big',
      T0,
    )
    store.enqueue([job('low b', { provider: 'b', priority: 2, runAt: T0 }), job('high b', { provider: 'b', priority: 0, runAt: T0 })], 'small', T0)
    store.enqueue([job('normal c', { provider: 'c', model: 'm1', priority: 1, runAt: T0 })], 'c', T0)
    const { gates } = gatesWith()
    gates.breakers.isolate('down')
    expect(gates.holdingAny(T0)).toBe(true)
    expect(claim(store, gates, 10).map((j) => j.prompt)).toEqual(['high b', 'normal c', 'low b'])
    expect(gates.heldReason({ provider: 'down', model: null }, T0)).toBe('held: breaker held open by the operator')
    expectCountsAgree(store)
  })

  it("lets exactly one probe through once an open breaker's wait is over", async () => {
    const store = tempStore()
    store.enqueue(
      Array.from({ length: 20 }, (_, i) => job(`j ${i}`, { provider: 'flaky', runAt: 0 })),
      'b1',
      T0,
    )
    store.enqueue([job('other batch', { provider: 'flaky', runAt: 0 })], 'b2', T0)
    // A real breaker, opened by failures.
    const gates = new Gates(new BreakerBoard({ ...DEFAULT_BREAKER, window: 4, minimumAttempts: 4, openMs: 60_000 }, () => {}))
    const unavailable = { ok: false, category: 'SERVICE_UNAVAILABLE', message: '503', retryable: true, retryAfterMs: null, durationMs: 1 } as const
    for (let i = 0; i < 4; i++) await gates.breakers.run('flaky', async () => unavailable)
    expect(gates.breakers.status('flaky')!.state).toBe('open')
    // Before its wait is over nothing goes; at T0 (well after it) two tracks (two batches) share its single probe.
    expect(claim(store, gates, 10, gates.breakers.status('flaky')!.since)).toHaveLength(0)
    expect(claim(store, gates, 10)).toHaveLength(1)
  })

  it('holds a paused provider, and a provider cooling down after a cluster of Retry-Afters', () => {
    const store = tempStore()
    store.enqueue([job('a', { provider: 'p', runAt: T0 }), job('b', { provider: 'q', runAt: T0 })], 'b', T0)
    const { gates } = gatesWith()
    gates.setPauses(new Map([['p', 'paused by the operator']]))
    const tooMany = { ok: false, category: 'RATE_LIMIT', message: '429', retryable: true, retryAfterMs: 5000, durationMs: 1 } as const
    // One 429 delays its own job only; three within 3 s cool the whole provider down.
    gates.finished('q', tooMany, T0 - 4000)
    gates.finished('q', tooMany, T0 - 2000)
    gates.finished('q', tooMany, T0 - 1000)
    expect(gates.heldReason({ provider: 'q', model: null }, T0 - 1000)).toBeNull()
    gates.finished('q', tooMany, T0)
    expect(claim(store, gates, 10)).toEqual([])
    expect(gates.heldReason({ provider: 'p', model: null }, T0)).toMatch(/provider p is paused \(paused by the operator\)/)
    expect(gates.heldReason({ provider: 'q', model: null }, T0)).toMatch(/asked to wait \(Retry-After\)/)
    expect(claim(store, gates, 10, T0 + 5001).map((j) => j.prompt)).toEqual(['b'])
  })

  it("keeps a profile's requests per minute and attempts at once across claims", () => {
    const store = tempStore()
    store.enqueue(
      Array.from({ length: 30 }, (_, i) => job(`r ${i}`, { provider: 'limited', runAt: T0 })),
      'b',
      T0,
    )
    const { gates, holds } = gatesWith([{ name: 'limited', provider: 'sim', limits: { requestsPerMinute: 7, maxConcurrent: 5 } }])
    expect(claim(store, gates, 100)).toHaveLength(5)
    // Five active: the concurrency cap holds, whatever the minute allows.
    expect(claim(store, gates, 100, T0 + 1)).toHaveLength(0)
    const done = store.db.prepare(`SELECT id FROM jobs WHERE state = 'active'`).pluck().all() as number[]
    store.settle(
      done.map((id) => ({ id, outcome: 'ok' as const, endedAt: T0 + 2, output: 'x', inputTokens: null, outputTokens: null })),
      'me',
    )
    expect(holds).toEqual(['limited:concurrency'])
    expect(claim(store, gates, 100, T0 + 3)).toHaveLength(2)
    expect(claim(store, gates, 100, T0 + 4)).toHaveLength(0)
    expect(holds).toEqual(['limited:concurrency', 'limited:rpm'])
    // A minute on, the first five starts left the window; the two still running keep three places at once.
    expect(claim(store, gates, 100, T0 + 60_001)).toHaveLength(3)
  })

  it("weighs tokens per minute with the prompt and the job's maxTokens", () => {
    const store = tempStore()
    store.enqueue(
      Array.from({ length: 10 }, (_, i) => job(`${'x'.repeat(400)} ${i}`, { provider: 't', runAt: T0, config: { maxTokens: 100 } })),
      'b',
      T0,
    )
    // Each job is estimated at 101 prompt tokens plus 100 output tokens.
    const { gates } = gatesWith([{ name: 't', provider: 'sim', limits: { tokensPerMinute: 700 } }])
    expect(claim(store, gates, 100)).toHaveLength(3)
  })

  it("keeps a batch's cap on jobs at once, counting jobs another process runs", () => {
    const store = tempStore()
    const capped = store.enqueue(
      Array.from({ length: 50 }, (_, i) => job(`big ${i}`, { priority: 0, runAt: T0 })),
      'big',
      T0,
      3,
    )
    store.enqueue(
      Array.from({ length: 5 }, (_, i) => job(`small ${i}`, { priority: 2, runAt: T0 })),
      'small',
      T0,
    )
    // Another process holds two of the big batch's jobs.
    store.claim({ owner: 'other', limit: 2, now: T0, leaseMs: 60_000 })
    const { gates } = gatesWith()
    gates.setBatchCapsExist(store.batchCapsExist())
    const jobs = claim(store, gates, 100)
    expect(jobs.filter((j) => j.batchId === capped.batchId)).toHaveLength(1)
    expect(jobs.filter((j) => j.batchId !== capped.batchId)).toHaveLength(5)
  })

  it('seeks from track to track and reads a track head through the track index, without sorting', () => {
    const store = tempStore()
    store.enqueue([job('a', { provider: 'p', runAt: T0 })], 'b', T0)
    for (const text of NEXT_TRACK) {
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all({ p: '', m: '', b: 0 }) as { detail: string }[]).map((r) => r.detail).join('\n')
      expect(plan).toMatch(/SEARCH jobs USING INDEX jobs_ready_by_track \(provider[=>]/)
      expect(plan).not.toMatch(/TEMP B-TREE/)
    }
    const head = (store.db.prepare(`EXPLAIN QUERY PLAN ${TRACK_HEAD}`).all('p', '', 1, T0, 10) as { detail: string }[]).map((r) => r.detail).join('\n')
    expect(head).toMatch(/SEARCH jobs USING INDEX jobs_ready_by_track \(provider=\? AND <expr>=\? AND <expr>=\?/)
    expect(head).not.toMatch(/TEMP B-TREE/)
  })
})
