/** Conformance, a job's life: enqueue (ids, idempotency, delays), claim (order, due time, leases) and settle (every outcome). */
import { describe, expect, it } from 'vitest'
import { PRIORITY_RANK } from '../../../src/shared/jobs'
import type { FinishedJob } from '../../../src/main/queue/store'
import { claim, eventsOf, expectCounts, failed, freshStore, job, LEASE, leasesRunOut, ok, OTHER, OWNER, states, T0, type StoreFactory } from './harness'

export function lifecycleConformance(factory: StoreFactory): void {
  describe('enqueue', () => {
    it('adds queued jobs in one batch, one id per job in order, and counts them', async () => {
      const { store } = await freshStore(factory)
      const jobs = Array.from({ length: 123 }, (_, i) => job(`p${i}`, { idempotencyKey: i % 40 === 7 ? `key-${i}` : null, tags: i === 0 ? ['a', 'b'] : null }))
      const result = await store.enqueue(jobs, 'many.jsonl', T0)
      expect(result.duplicates).toBe(0)
      expect(result.jobIds).toHaveLength(123)
      expect([...result.jobIds].sort((a, b) => a - b)).toEqual(result.jobIds)
      expect(new Set(result.jobIds).size).toBe(123)
      await expectCounts(store, T0, { queued: 123 })
      const first = await store.get(result.jobIds[0]!, T0)
      expect(first).toMatchObject({ prompt: 'p0', state: 'queued', batchId: result.batchId, tags: ['a', 'b'], attemptsMade: 0, maxAttempts: 3 })
      expect((await store.get(result.jobIds[47]!, T0))!).toMatchObject({ prompt: 'p47', idempotencyKey: 'key-47' })
    })

    it('answers a known idempotency key with the existing job instead of adding one, within one call too', async () => {
      const { store } = await freshStore(factory)
      const first = await store.enqueue([job('a', { idempotencyKey: 'k1' })], 'one', T0)
      const again = await store.enqueue(
        [job('a changed', { idempotencyKey: 'k1' }), job('b', { idempotencyKey: 'k2' }), job('c'), job('b', { idempotencyKey: 'k2' })],
        'two',
        T0,
      )
      expect(again.jobIds[0]).toBe(first.jobIds[0])
      expect(again.jobIds[1]).toBe(again.jobIds[3])
      expect(again.duplicates).toBe(2)
      expect((await store.get(first.jobIds[0]!, T0))!.prompt).toBe('a')
      await expectCounts(store, T0, { queued: 3 })
    })

    it('names the jobs it added: not those whose key was known, in the store or earlier in the call', async () => {
      const { store } = await freshStore(factory)
      const first = await store.enqueue([job('a', { idempotencyKey: 'k1' })], 'one', T0)
      expect(first.addedIds).toEqual(first.jobIds)
      // Sixty jobs without a key after the keyed ones: the SQLite store writes them in runs of fifty a statement.
      const plain = Array.from({ length: 60 }, (_, i) => job(`plain ${i}`))
      const given = [job('b'), job('a again', { idempotencyKey: 'k1' }), job('c', { idempotencyKey: 'k2' }), job('c again', { idempotencyKey: 'k2' }), ...plain]
      const again = await store.enqueue(given, 'two', T0)
      const [b, a, c, cAgain, ...rest] = again.jobIds
      expect(a).toBe(first.jobIds[0])
      expect(cAgain).toBe(c)
      expect(again.addedIds).toEqual([b, c, ...rest])
      expect(again.duplicates).toBe(2)
      // Each id named is a job this call wrote, holding what was given at its place.
      const prompts = ['b', 'c', ...plain.map((p) => p.prompt)]
      for (const [i, id] of again.addedIds.entries()) expect(await store.get(id, T0)).toMatchObject({ prompt: prompts[i], batchId: again.batchId })
      expect(await store.get(a!, T0)).toMatchObject({ prompt: 'a', batchId: first.batchId })
      await expectCounts(store, T0, { queued: 1 + again.addedIds.length })
    })

    it('keeps a config and a job with no config apart', async () => {
      const { store } = await freshStore(factory)
      const { jobIds } = await store.enqueue([job('a', { config: { latencyMs: 5, nested: { x: [1, 'two'] } } }), job('b')], 'b', T0)
      expect((await store.get(jobIds[0]!, T0))!.config).toEqual({ latencyMs: 5, nested: { x: [1, 'two'] } })
      expect((await store.get(jobIds[1]!, T0))!.config).toEqual({})
    })
  })

  describe('claim', () => {
    it('takes high before normal before low, the longest due first within a priority, then by id', async () => {
      const { store } = await freshStore(factory)
      await store.enqueue(
        [
          job('low', { priority: PRIORITY_RANK.low }),
          job('normal late', { runAt: T0 - 10 }),
          job('normal early', { runAt: T0 - 20 }),
          job('high', { priority: PRIORITY_RANK.high }),
          job('normal late 2', { runAt: T0 - 10 }),
        ],
        'b',
        T0,
      )
      const order: string[] = []
      for (let i = 0; i < 5; i++) order.push(...(await claim(store, T0, 1)).jobs.map((j) => j.prompt))
      expect(order).toEqual(['high', 'normal early', 'normal late', 'normal late 2', 'low'])
      // One claim takes the first by that order (in any order within the claim: SQLite returns them by id).
      await store.enqueue([job('x', { priority: 2 }), job('y', { priority: 0 }), job('z', { priority: 1 })], 'c', T0)
      expect((await claim(store, T0, 2)).jobs.map((j) => j.prompt).sort()).toEqual(['y', 'z'])
    })

    it('holds a delayed job until its run_at, counting it as delayed meanwhile', async () => {
      const { store } = await freshStore(factory)
      const [id] = (await store.enqueue([job('later', { runAt: T0 + 60_000 }), job('now')], 'b', T0)).jobIds
      await expectCounts(store, T0, { queued: 1, delayed: 1 })
      expect((await store.get(id!, T0))!.state).toBe('delayed')
      expect((await claim(store, T0)).jobs.map((j) => j.prompt)).toEqual(['now'])
      expect((await claim(store, T0 + 59_999)).jobs).toEqual([])
      await expectCounts(store, T0 + 60_000, { queued: 1, active: 1 })
      expect((await claim(store, T0 + 60_000)).jobs.map((j) => j.id)).toEqual([id])
    })

    it('moves a job to active under a lease, counts the attempt and records the transition; a job is claimed once', async () => {
      const { store } = await freshStore(factory)
      const { jobIds, batchId } = await store.enqueue([job('a', { config: { latencyMs: 5 } })], 'b', T0)
      const id = jobIds[0]!
      const { jobs, changes } = await claim(store)
      expect(jobs).toEqual([{ id, batchId, provider: 'sim', model: null, prompt: 'a', config: { latencyMs: 5 }, attempt: 1, startedAt: T0, readyAt: T0 }])
      expect(changes).toEqual([{ id, state: 'active', attemptsMade: 1 }])
      expect(await eventsOf(store, id)).toEqual(['queued>active'])
      expect(await store.leaseOwners()).toEqual([OWNER])
      expect((await claim(store, T0, 10, OTHER)).jobs).toEqual([])
      expect((await claim(store, T0, 0)).jobs).toEqual([])
      await expectCounts(store, T0, { active: 1 })
    })

    it('takes at most the limit', async () => {
      const { store } = await freshStore(factory)
      await store.enqueue(
        Array.from({ length: 7 }, (_, i) => job(`p${i}`)),
        'b',
        T0,
      )
      expect((await claim(store, T0, 3)).jobs).toHaveLength(3)
      expect((await claim(store, T0, 3, OTHER)).jobs).toHaveLength(3)
      expect((await claim(store, T0, 3)).jobs).toHaveLength(1)
      await expectCounts(store, T0, { active: 7 })
    })
  })

  describe('settle', () => {
    it('completes a job with its output, records the attempt and reports it finished', async () => {
      const { store } = await freshStore(factory)
      const [id] = (await store.enqueue([job('a')], 'b', T0)).jobIds
      await claim(store)
      const finished: FinishedJob[] = []
      const changes = await store.settle([{ ...ok(id!), artifact: '/tmp/a.txt' }], OWNER, finished)
      expect(changes).toEqual([{ id, state: 'completed', attemptsMade: 1 }])
      expect(finished).toEqual([{ id, provider: 'sim', model: null, outcome: 'completed', createdAt: T0, finishedAt: T0 + 100 }])
      const detail = (await store.get(id!, T0 + 100))!
      expect(detail).toMatchObject({ state: 'completed', output: `out ${id}`, artifact: '/tmp/a.txt', finishedAt: T0 + 100, lastError: null })
      expect(detail.attempts).toEqual([
        expect.objectContaining({ number: 1, startedAt: T0, endedAt: T0 + 100, outcome: 'ok', inputTokens: 3, outputTokens: 5 }),
      ])
      expect(await eventsOf(store, id!)).toEqual(['queued>active', 'active>completed'])
      expect(await store.leaseOwners()).toEqual([])
      await expectCounts(store, T0, { completed: 1 })
    })

    it('requeues a retryable failure at its retry time, then kills it when its attempts run out', async () => {
      const { store } = await freshStore(factory)
      const [id] = (await store.enqueue([job('a', { maxAttempts: 2 })], 'b', T0)).jobIds
      await claim(store)
      expect(await store.settle([failed(id!)], OWNER)).toEqual([{ id, state: 'delayed', attemptsMade: 1 }])
      expect(await store.get(id!, T0 + 100)).toMatchObject({ state: 'delayed', runAt: T0 + 5_000, lastError: 'HTTP 503' })
      await expectCounts(store, T0 + 100, { delayed: 1 })
      expect((await claim(store, T0 + 4_999)).jobs).toEqual([])
      const second = await claim(store, T0 + 5_000)
      expect(second.jobs.map((j) => j.attempt)).toEqual([2])
      const finished: FinishedJob[] = []
      expect(states(await store.settle([failed(id!, { endedAt: T0 + 5_100 })], OWNER, finished))).toEqual([`${id}:dead`])
      expect(finished.map((f) => f.outcome)).toEqual(['dead'])
      const detail = (await store.get(id!, T0 + 6_000))!
      expect(detail).toMatchObject({ state: 'dead', finishedAt: T0 + 5_100, attemptsMade: 2 })
      expect(detail.attempts.map((a) => [a.number, a.outcome, a.errorCategory, a.severity])).toEqual([
        [1, 'error', 'SERVICE_UNAVAILABLE', 'warning'],
        [2, 'error', 'SERVICE_UNAVAILABLE', 'warning'],
      ])
      expect(await eventsOf(store, id!)).toEqual(['queued>active', 'active>queued', 'queued>active', 'active>dead'])
      await expectCounts(store, T0 + 6_000, { dead: 1 })
    })

    it('kills a job at once on an error that is not retryable', async () => {
      const { store } = await freshStore(factory)
      const [id] = (await store.enqueue([job('a')], 'b', T0)).jobIds
      await claim(store)
      await store.settle([failed(id!, { category: 'VALIDATION', message: 'not JSON', retryable: false })], OWNER)
      expect(await store.get(id!, T0 + 100)).toMatchObject({ state: 'dead', attemptsMade: 1, lastError: 'not JSON' })
    })

    it('gives a refunded attempt back, until an AUTH failure has been given back too often', async () => {
      const { store } = await freshStore(factory)
      const [id] = (await store.enqueue([job('a', { maxAttempts: 1 })], 'b', T0)).jobIds
      for (let round = 1; round <= 2; round++) {
        const now = T0 + round * 1000
        await claim(store, now)
        expect(await store.settle([failed(id!, { endedAt: now, category: 'AUTH', message: 'key refused', retryAt: now, refund: true })], OWNER)).toEqual([
          { id, state: 'queued', attemptsMade: 0 },
        ])
      }
      await claim(store, T0 + 3000)
      await store.settle([failed(id!, { endedAt: T0 + 3000, category: 'AUTH', message: 'key refused', retryAt: T0 + 3000, refund: true })], OWNER)
      const detail = (await store.get(id!, T0 + 3000))!
      expect(detail.state).toBe('dead')
      expect(detail.lastError).toMatch(/^key refused; refused 3 times/)
      expect(detail.attempts.map((a) => a.number)).toEqual([1, 1, 1])
      await expectCounts(store, T0 + 3000, { dead: 1 })
    })

    it('ignores a result whose lease this owner no longer holds, and a second result for the same job', async () => {
      const { store } = await freshStore(factory)
      const [a, b] = (await store.enqueue([job('a'), job('b')], 'b', T0)).jobIds
      await claim(store)
      expect(await store.settle([ok(a!)], OTHER)).toEqual([])
      expect(states(await store.settle([ok(a!), ok(a!, T0 + 200, 'again'), ok(b!)], OWNER))).toEqual([`${a}:completed`, `${b}:completed`])
      expect(await store.settle([failed(b!)], OWNER)).toEqual([])
      expect((await store.get(a!, T0))!).toMatchObject({ output: `out ${a}`, attempts: [expect.objectContaining({ outcome: 'ok' })] })
      await expectCounts(store, T0, { completed: 2 })
      expect(await store.settle([], OWNER)).toEqual([])
    })
  })

  describe('leases', () => {
    it('extends only this owner’s leases and says which of its jobs it lost', async () => {
      const { store } = await freshStore(factory)
      const ids = (await store.enqueue([job('a'), job('b'), job('c')], 'b', T0)).jobIds
      await claim(store, T0, 2)
      await claim(store, T0, 1, OTHER)
      expect(await store.extendLeases(OWNER, T0 + 10 * LEASE)).toBe(2)
      expect([...(await store.leaseOwners())].sort()).toEqual([OWNER, OTHER].sort())
      // The other owner's lease runs out; this owner's, extended, does not.
      await leasesRunOut(store, OTHER)
      expect(states(await store.recoverStalled({ now: T0 + LEASE + 1, maxStalled: 1 }))).toEqual([`${ids[2]}:queued`])
      await store.cancel(ids[1]!, T0 + 2)
      expect(await store.lostLeases(OWNER, [ids[0]!, ids[1]!, ids[2]!])).toEqual([ids[1], ids[2]])
      expect(await store.lostLeases(OWNER, [])).toEqual([])
      expect(await store.extendLeases(OTHER, T0 + 10 * LEASE)).toBe(0)
    })
  })
}
