/** Conformance, what happens around a job's life: stalls, an operator's moves, retention, the pause switch and other connections' changes. */
import { describe, expect, it } from 'vitest'
import { waitFor } from '../../support/wait'
import { claim, eventsOf, expectCounts, failed, failureOf, freshStore, job, LEASE, leasesRunOut, ok, OWNER, states, T0, type StoreFactory } from './harness'

const DAY = 24 * 3600 * 1000

export function operationsConformance(factory: StoreFactory): void {
  describe('stalls', () => {
    it('requeues a job whose lease expired, counting the stall, and kills it past the limit', async () => {
      const { store } = await freshStore(factory)
      const [id] = (await store.enqueue([job('a')], 'b', T0)).jobIds
      await claim(store)
      expect(await store.recoverStalled({ now: T0 + LEASE - 1, maxStalled: 1 })).toEqual([])
      await leasesRunOut(store)
      expect(await store.recoverStalled({ now: T0 + LEASE + 1, maxStalled: 1 })).toEqual([{ id, state: 'queued', attemptsMade: 1 }])
      const requeued = (await store.get(id!, T0 + LEASE + 1))!
      expect(requeued).toMatchObject({ state: 'queued', stalledCount: 1, runAt: T0 + LEASE + 1 })
      expect(requeued.attempts).toEqual([expect.objectContaining({ number: 1, outcome: 'stalled', errorCategory: 'TIMEOUT', endedAt: T0 + LEASE + 1 })])
      await expectCounts(store, T0 + LEASE + 1, { queued: 1 })
      // Stalls have their own limit: the next claim is attempt 2 of 3 all the same.
      const now = T0 + 2 * LEASE
      expect((await claim(store, now)).jobs.map((j) => j.attempt)).toEqual([2])
      await leasesRunOut(store)
      expect(await store.recoverStalled({ now: now + LEASE + 1, maxStalled: 1 })).toEqual([{ id, state: 'dead', attemptsMade: 2 }])
      const dead = (await store.get(id!, now + LEASE + 1))!
      expect(dead).toMatchObject({ state: 'dead', stalledCount: 2, finishedAt: now + LEASE + 1 })
      expect(dead.lastError).toMatch(/stalled 2 times, more than the limit of 1/)
      expect(await eventsOf(store, id!)).toEqual(['queued>active', 'active>queued', 'queued>active', 'active>dead'])
      await expectCounts(store, now + LEASE + 1, { dead: 1 })
      // A result that comes after the job was recovered changes nothing.
      expect(await store.settle([ok(id!)], OWNER)).toEqual([])
    })

    it('recovers the jobs of an owner known dead before their lease runs out, and leaves the living’s alone', async () => {
      const { store } = await freshStore(factory)
      const [a, b] = (await store.enqueue([job('a'), job('b')], 'b', T0)).jobIds
      await claim(store, T0, 1, 'host:1:dead')
      await claim(store, T0, 1, 'host:2:alive')
      expect(states(await store.recoverStalled({ now: T0 + 1, maxStalled: 3, deadOwners: ['host:1:dead'] }))).toEqual([`${a}:queued`])
      expect((await store.get(a!, T0 + 1))!.lastError).toMatch(/ended \(crash or kill\)/)
      expect((await store.get(b!, T0 + 1))!.state).toBe('active')
      await expectCounts(store, T0 + 1, { queued: 1, active: 1 })
    })
  })

  describe('an operator’s moves', () => {
    it('cancels a queued job at once and an active one in the store, whose late result is then ignored', async () => {
      const { store } = await freshStore(factory)
      const [queued, active] = (await store.enqueue([job('a', { runAt: T0 + 1000 }), job('b')], 'b', T0)).jobIds
      await claim(store)
      const first = await store.cancel(queued!, T0 + 1)
      expect(first).toMatchObject({ change: { id: queued, state: 'cancelled', attemptsMade: 0 }, wasActive: false, job: { id: queued, state: 'cancelled' } })
      expect(await eventsOf(store, queued!)).toEqual(['delayed>cancelled'])
      const second = await store.cancel(active!, T0 + 2)
      expect(second).toMatchObject({ change: { id: active, state: 'cancelled', attemptsMade: 1 }, wasActive: true })
      expect(await store.settle([ok(active!)], OWNER)).toEqual([])
      const detail = (await store.get(active!, T0 + 2))!
      expect(detail).toMatchObject({ state: 'cancelled', finishedAt: T0 + 2, output: null })
      expect(detail.attempts).toEqual([expect.objectContaining({ outcome: 'cancelled', errorCategory: 'CANCELLED' })])
      await expectCounts(store, T0 + 2, { cancelled: 2 })
      expect(await failureOf(() => store.cancel(active!, T0 + 3))).toMatchObject({ code: 'CONFLICT' })
      expect(await failureOf(() => store.cancel(999_999, T0 + 3))).toMatchObject({ code: 'NOT_FOUND' })
    })

    it('retries a dead job with fresh attempts, and only from the states it is asked to', async () => {
      const { store } = await freshStore(factory)
      const [id, other] = (await store.enqueue([job('a', { maxAttempts: 1 }), job('b')], 'b', T0)).jobIds
      await claim(store, T0, 1)
      await store.settle([failed(id!)], OWNER)
      expect(await failureOf(() => store.retry(other!, T0 + 200, ['dead']))).toMatchObject({ code: 'CONFLICT' })
      const { job: summary, change } = await store.retry(id!, T0 + 200, ['dead'])
      expect(change).toEqual({ id, state: 'queued', attemptsMade: 0 })
      expect(summary).toMatchObject({ id, state: 'queued', attemptsMade: 0, lastError: null, runAt: T0 + 200 })
      expect(await eventsOf(store, id!)).toEqual(['queued>active', 'active>dead', 'dead>queued'])
      await expectCounts(store, T0 + 200, { queued: 2 })
      expect((await claim(store, T0 + 200, 2)).jobs).toContainEqual(expect.objectContaining({ id, attempt: 1 }))
    })

    it('removes a job that is not running, and refuses one that is', async () => {
      const { store } = await freshStore(factory)
      const [a, b] = (await store.enqueue([job('a'), job('b')], 'b', T0)).jobIds
      await claim(store, T0, 1)
      expect(await failureOf(() => store.remove(a!))).toMatchObject({ code: 'CONFLICT' })
      expect(await store.remove(b!)).toBe(true)
      expect(await store.get(b!, T0)).toBeNull()
      expect(await store.remove(b!)).toBe(false)
      await expectCounts(store, T0, { active: 1 })
    })

    it('pauses and resumes the queue for every connection', async () => {
      const { store, another } = await freshStore(factory)
      expect(await store.isPaused()).toBe(false)
      await store.setPaused(true)
      const cli = await another()
      expect(await cli.isPaused()).toBe(true)
      expect((await cli.stats(T0)).paused).toBe(true)
      await cli.setPaused(false)
      expect(await store.isPaused()).toBe(false)
    })
  })

  describe('retention', () => {
    it('cleans a finished state by age, and keeps the newest of each state by count', async () => {
      const { store } = await freshStore(factory)
      const ids = (
        await store.enqueue(
          Array.from({ length: 6 }, (_, i) => job(`p${i}`, { maxAttempts: 1 })),
          'b',
          T0,
        )
      ).jobIds
      await claim(store, T0, 6)
      // Four complete (two long ago), two die.
      await store.settle([ok(ids[0]!, T0 + 1), ok(ids[1]!, T0 + 2), ok(ids[2]!, T0 + 2 * DAY), ok(ids[3]!, T0 + 2 * DAY)], OWNER)
      await store.settle([failed(ids[4]!, { retryable: false }), failed(ids[5]!, { retryable: false })], OWNER)
      expect(await store.clean('completed', T0 + DAY)).toBe(2)
      expect(await store.get(ids[0]!, T0)).toBeNull()
      await expectCounts(store, T0 + 3 * DAY, { completed: 2, dead: 2 })
      const keepOne = { maxCount: 1, maxAgeMs: 30 * DAY }
      expect(await store.applyRetention({ completed: keepOne, dead: keepOne, cancelled: keepOne }, T0 + 3 * DAY)).toBe(2)
      expect(await store.get(ids[2]!, T0)).toBeNull()
      expect((await store.get(ids[3]!, T0))!.state).toBe('completed')
      expect(await store.get(ids[4]!, T0)).toBeNull()
      expect((await store.get(ids[5]!, T0))!.state).toBe('dead')
      await expectCounts(store, T0 + 3 * DAY, { completed: 1, dead: 1 })
      const byAge = { maxCount: 100, maxAgeMs: DAY }
      expect(await store.applyRetention({ completed: byAge, dead: byAge, cancelled: byAge }, T0 + 4 * DAY)).toBe(2)
      await expectCounts(store, T0 + 4 * DAY, {})
    })
  })

  describe('other connections', () => {
    it('sees another connection’s enqueue and settle in its external version', async () => {
      const { store, another } = await freshStore(factory)
      const engine = await another()
      const start = await store.externalVersion()
      const [id] = (await engine.enqueue([job('a')], 'b', T0)).jobIds
      const afterEnqueue = await waitFor(
        () => store.externalVersion(),
        (v) => v !== start,
        { what: 'the enqueue to be seen' },
      )
      await expectCounts(store, T0, { queued: 1 })
      await claim(engine)
      await engine.settle([ok(id!)], OWNER)
      await waitFor(
        () => store.externalVersion(),
        (v) => v !== afterEnqueue,
        { what: 'the settle to be seen' },
      )
      await expectCounts(store, T0, { completed: 1 })
    })
  })
}
