/**
 * Breaker transitions on any store: written by two connections (two engines, or an
 * operator's command), read after an id in the order written, the newest of each breaker,
 * and each breaker's attempts from what settle recorded.
 */
import { expect, it } from 'vitest'
import type { BreakerEvent } from '../../../src/main/queue/store'
import { job, LEASE, OWNER, T0, freshStore, type StoreFactory } from './harness'
import { type EngineStateStore } from './engine-stores'

const event = (breaker: string, at: number, to: BreakerEvent['to'], owner = OWNER): Omit<BreakerEvent, 'id'> => ({
  breaker,
  at,
  from: to === 'open' ? 'closed' : 'open',
  to,
  openUntil: to === 'open' ? at + 30_000 : null,
  reason: to === 'open' ? '5 of 10 attempts failed' : null,
  owner,
})

export function breakerEventsConformance(factory: StoreFactory<EngineStateStore>): void {
  it('reads the transitions two connections wrote after an id, oldest first, and the last id', async () => {
    const { store, another } = await freshStore(factory)
    const other = await another()
    expect(await store.lastBreakerEventId()).toBe(0)
    expect(await store.breakerEventsAfter(0)).toEqual([])
    const first = await store.recordBreakerEvent(event('openai/gpt', T0, 'open'))
    const second = await other.recordBreakerEvent(event('anthropic', T0 + 1, 'isolated', 'operator'))
    const third = await store.recordBreakerEvent(event('openai/gpt', T0 + 2, 'half-open'))
    expect(second).toBeGreaterThan(first)
    expect(third).toBeGreaterThan(second)
    expect(await other.lastBreakerEventId()).toBe(third)
    expect(await other.breakerEventsAfter(0)).toEqual([
      { id: first, ...event('openai/gpt', T0, 'open') },
      { id: second, ...event('anthropic', T0 + 1, 'isolated', 'operator') },
      { id: third, ...event('openai/gpt', T0 + 2, 'half-open') },
    ])
    expect((await store.breakerEventsAfter(first)).map((read) => read.id)).toEqual([second, third])
    expect(await store.breakerEventsAfter(third)).toEqual([])
  })

  it('reads the newest transitions of each breaker, newest first', async () => {
    const { store } = await freshStore(factory)
    const ids: number[] = []
    for (const [breaker, at, to] of [
      ['openai/gpt', T0, 'open'],
      ['anthropic', T0 + 1, 'open'],
      ['openai/gpt', T0 + 2, 'half-open'],
      ['openai/gpt', T0 + 3, 'closed'],
    ] as const) {
      ids.push(await store.recordBreakerEvent(event(breaker, at, to)))
    }
    const history = await store.breakerHistory(2)
    expect(new Map([...history].map(([name, events]) => [name, events.map((read) => read.id)]))).toEqual(
      new Map([
        ['anthropic', [ids[1]]],
        ['openai/gpt', [ids[3], ids[2]]],
      ]),
    )
    expect(history.get('anthropic')).toEqual([{ id: ids[1], ...event('anthropic', T0 + 1, 'open') }])
    expect(await store.breakerHistory(1)).toEqual(
      new Map([
        ['anthropic', [{ id: ids[1], ...event('anthropic', T0 + 1, 'open') }]],
        ['openai/gpt', [{ id: ids[3], ...event('openai/gpt', T0 + 3, 'closed') }]],
      ]),
    )
  })

  it("counts each breaker's attempts since a time from what settle recorded, whoever settled them", async () => {
    const { store, another } = await freshStore(factory)
    const other = await another()
    const { addedIds } = await store.enqueue(
      [
        job('a', { provider: 'sim', model: 'fast' }),
        job('b', { provider: 'sim', model: 'fast' }),
        job('c', { provider: 'sim', model: 'fast' }),
        job('d', { provider: 'sim' }),
      ],
      'counts',
      T0,
    )
    const claimed = await store.claim({ owner: OWNER, limit: 10, now: T0, leaseMs: LEASE })
    expect(claimed.jobs.map((claimedJob) => claimedJob.id)).toEqual(addedIds)
    const [a, b, c, d] = addedIds as [number, number, number, number]
    const ended = T0 + 60_000
    await store.settle(
      [
        { id: a, outcome: 'ok', endedAt: ended, output: 'fine', inputTokens: 1, outputTokens: 1 },
        { id: b, outcome: 'error', endedAt: ended, category: 'SERVICE_UNAVAILABLE', message: 'HTTP 503', retryable: true, retryAt: ended + 1_000 },
        { id: d, outcome: 'ok', endedAt: ended, output: 'fine', inputTokens: 1, outputTokens: 1 },
      ],
      OWNER,
    )
    await store.settle([{ id: c, outcome: 'error', endedAt: ended, category: 'VALIDATION', message: 'bad request', retryable: false, retryAt: ended }], OWNER)
    expect(await other.breakerCounts(T0)).toEqual(
      new Map([
        ['sim/fast', { ok: 1, failed: 2 }],
        ['sim', { ok: 1, failed: 0 }],
      ]),
    )
    // Attempts before the minute `since` falls in are not counted.
    expect(await other.breakerCounts(ended + 60_000)).toEqual(new Map())
  })
}
