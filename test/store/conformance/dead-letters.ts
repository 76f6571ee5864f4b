/** Conformance, the dead-letter queue and failures: dead jobs listed, counted, retried and purged; failure groups, pins and regression cases. */
import { describe, expect, it } from 'vitest'
import { FLAG_AT } from '../../../src/shared/failures'
import { claim, eventsOf, expectCounts, failureOf, job, T0 } from './harness'
import { freshReads, kill, type ReadsFactory, type ReadsStore } from './reads-harness'

const LATER = T0 + 10_000

/** Seven dead jobs: four of sim (three SERVICE_UNAVAILABLE, one AUTH), two of openai (AUTH), one of a second batch; and one queued job. */
async function seedDead(store: ReadsStore) {
  const first = await store.enqueue(
    Array.from({ length: 6 }, (_, i) => job(`dead ${i}`, { maxAttempts: 1, provider: i < 4 ? 'sim' : 'openai', priority: 0 })),
    'first',
    T0,
  )
  const second = await store.enqueue([job('dead 6', { maxAttempts: 1, priority: 0 }), job('alive')], 'second', T0)
  const ids = [...first.jobIds, second.jobIds[0]!]
  await kill(store, ids, (id) => {
    const i = ids.indexOf(id)
    return i < 3 || i === 6 ? { category: 'SERVICE_UNAVAILABLE', message: `HTTP 503 after ${i * 10} ms` } : { category: 'AUTH', message: 'HTTP 401' }
  })
  return { ids, alive: second.jobIds[1]!, firstBatch: first.batchId, secondBatch: second.batchId }
}

export function deadLettersConformance(factory: ReadsFactory): void {
  describe('the dead-letter queue', () => {
    it('lists dead jobs newest first by filter and by page, with their category and severity', async () => {
      const store = await freshReads(factory)
      const { ids, firstBatch } = await seedDead(store)
      const listed = async (options: Parameters<ReadsStore['listDead']>[0]) => (await store.listDead(options, LATER)).map((j) => j.id)
      expect(await listed({ limit: 10 })).toEqual([...ids].reverse())
      expect(await listed({ limit: 3 })).toEqual([ids[6], ids[5], ids[4]])
      expect(await listed({ limit: 3, beforeId: ids[4] })).toEqual([ids[3], ids[2], ids[1]])
      expect(await listed({ limit: 10, category: 'AUTH' })).toEqual([ids[5], ids[4], ids[3]])
      expect(await listed({ limit: 10, provider: 'openai' })).toEqual([ids[5], ids[4]])
      expect(await listed({ limit: 10, batchId: firstBatch, category: 'SERVICE_UNAVAILABLE' })).toEqual([ids[2], ids[1], ids[0]])
      expect(await listed({ limit: 10, provider: 'nobody' })).toEqual([])
      const [newest] = await store.listDead({ limit: 1, category: 'AUTH' }, LATER)
      expect(newest).toMatchObject({ id: ids[5], state: 'dead', errorCategory: 'AUTH', severity: 'critical', provider: 'openai', lastError: 'HTTP 401' })
      expect((await store.listDead({ limit: 1 }, LATER))[0]).toMatchObject({ errorCategory: 'SERVICE_UNAVAILABLE', severity: 'warning' })
    })

    it('counts dead jobs by category and provider, most first', async () => {
      const store = await freshReads(factory)
      expect(await store.deadStats()).toEqual({ total: 0, byCategory: [], byProvider: [] })
      await seedDead(store)
      expect(await store.deadStats()).toEqual({
        total: 7,
        byCategory: [
          { category: 'SERVICE_UNAVAILABLE', count: 4 },
          { category: 'AUTH', count: 3 },
        ],
        byProvider: [
          { provider: 'sim', count: 5 },
          { provider: 'openai', count: 2 },
        ],
      })
    })

    it('retries dead jobs by id and by filter with fresh attempts, passing over jobs that are not dead', async () => {
      const store = await freshReads(factory)
      const { ids, alive, secondBatch } = await seedDead(store)
      expect(await store.retryDead({ ids: [ids[0]!, ids[1]!, alive, 999_999] }, LATER)).toBe(2)
      expect(await store.get(ids[0]!, LATER)).toMatchObject({ state: 'queued', attemptsMade: 0, lastError: null, runAt: LATER, finishedAt: null })
      expect(await eventsOf(store, ids[0]!)).toEqual(['queued>active', 'active>dead', 'dead>queued'])
      const detail = (await store.get(ids[0]!, LATER))!
      expect(detail.events.at(-1)!.detail).toBe('retried by the operator (by id)')
      await expectCounts(store, LATER, { queued: 3, dead: 5 })
      expect(await store.retryDead({ where: { category: 'AUTH', provider: 'openai' } }, LATER)).toBe(2)
      expect((await store.get(ids[4]!, LATER))!.events.at(-1)!.detail).toBe('retried by the operator (dead jobs of category AUTH, provider openai)')
      expect(await store.retryDead({ where: { batchId: secondBatch } }, LATER)).toBe(1)
      await expectCounts(store, LATER, { queued: 6, dead: 2 })
      expect((await store.deadStats()).total).toBe(2)
      expect(await store.retryAllDead(LATER)).toBe(2)
      expect(await store.retryAllDead(LATER)).toBe(0)
      await expectCounts(store, LATER, { queued: 8 })
      // Retried jobs are claimable again, from their first attempt.
      const { jobs } = await claim(store, LATER, 10)
      expect(jobs.map((j) => j.attempt)).toEqual(Array.from({ length: 8 }, () => 1))
    })

    it('purges dead jobs by id and by filter, leaving the rest', async () => {
      const store = await freshReads(factory)
      const { ids, alive, firstBatch } = await seedDead(store)
      expect(await store.purgeDead({ ids: [ids[6]!, alive] })).toBe(1)
      expect(await store.get(ids[6]!, LATER)).toBeNull()
      expect(await store.get(alive, LATER)).not.toBeNull()
      expect(await store.purgeDead({ where: { batchId: firstBatch, category: 'AUTH' } })).toBe(3)
      await expectCounts(store, LATER, { queued: 1, dead: 3 })
      expect((await store.listDead({ limit: 10 }, LATER)).map((j) => j.id)).toEqual([ids[2], ids[1], ids[0]])
      expect((await store.batches.get(firstBatch, LATER))!.counts).toMatchObject({ dead: 3 })
      expect(await store.purgeDead({ where: {} })).toBe(3)
      expect(await store.deadStats()).toEqual({ total: 0, byCategory: [], byProvider: [] })
    })
  })

  describe('failure groups and regressions', () => {
    async function seedGroups(store: ReadsStore) {
      const { jobIds } = await store.enqueue(
        [
          ...Array.from({ length: FLAG_AT + 1 }, (_, i) => job(`flaky ${i}`, { maxAttempts: 1, tags: ['t'], config: { temperature: 0.5 } })),
          job('once', { maxAttempts: 1 }),
        ],
        'b',
        T0,
      )
      const flaky = jobIds.slice(0, FLAG_AT + 1)
      // One message, masked alike (numbers differ): one group; another message, another group.
      await kill(store, jobIds, (id) =>
        flaky.includes(id) ? { category: 'TIMEOUT', message: `request ${id} timed out after ${id * 7} ms` } : { category: 'MODEL', message: 'no such model' },
      )
      return { flaky, once: jobIds.at(-1)! }
    }

    it('groups failed attempts by fingerprint, most recent first, and flags those seen often', async () => {
      const store = await freshReads(factory)
      const { flaky } = await seedGroups(store)
      const groups = await store.listFailureGroups({ limit: 10 })
      expect(groups).toHaveLength(2)
      const timeout = groups.find((g) => g.category === 'TIMEOUT')!
      expect(timeout).toMatchObject({ count: FLAG_AT + 1, flagged: true, pinnedAt: null, cases: 0, firstSeen: T0 + 100, lastSeen: T0 + 100 })
      expect([...timeout.sampleJobIds].sort((a, b) => a - b)).toEqual(flaky.slice(-timeout.sampleJobIds.length))
      expect(groups.find((g) => g.category === 'MODEL')).toMatchObject({ count: 1, flagged: false })
      expect((await store.listFailureGroups({ limit: 10, flagged: true })).map((g) => g.fingerprint)).toEqual([timeout.fingerprint])
      expect(await store.listFailureGroups({ limit: 1 })).toHaveLength(1)
    })

    it('pins a flagged group once, copying its samples’ specs, and follows each case’s latest run', async () => {
      const store = await freshReads(factory)
      const { flaky } = await seedGroups(store)
      const groups = await store.listFailureGroups({ limit: 10 })
      const timeout = groups.find((g) => g.category === 'TIMEOUT')!
      const model = groups.find((g) => g.category === 'MODEL')!
      expect(await failureOf(() => store.pinFailureGroup(model.fingerprint, LATER))).toMatchObject({ code: 'CONFLICT' })
      expect(await failureOf(() => store.pinFailureGroup('nope', LATER))).toMatchObject({ code: 'NOT_FOUND' })
      const pinned = await store.pinFailureGroup(timeout.fingerprint, LATER)
      expect(pinned).toMatchObject({ added: timeout.sampleJobIds.length, group: { pinnedAt: LATER, cases: timeout.sampleJobIds.length } })
      expect(await store.pinFailureGroup(timeout.fingerprint, LATER + 1)).toMatchObject({ added: 0, group: { pinnedAt: LATER } })
      const cases = await store.listRegressions(LATER)
      expect(cases.map((c) => c.sourceJobId)).toEqual([...timeout.sampleJobIds].sort((a, b) => a - b))
      expect(cases[0]).toMatchObject({
        fingerprint: timeout.fingerprint,
        category: 'TIMEOUT',
        pattern: timeout.pattern,
        problem: null,
        createdAt: LATER,
        lastRun: null,
        spec: {
          prompt: `flaky ${flaky.indexOf(cases[0]!.sourceJobId!)}`,
          provider: 'sim',
          priority: 'normal',
          attempts: 1,
          tags: ['t'],
          config: { temperature: 0.5 },
        },
      })
      const { jobIds } = await store.enqueue([job('rerun')], 'regressions', LATER)
      await store.noteRegressionRun([{ caseId: cases[0]!.id, jobId: jobIds[0]! }], LATER + 5)
      const [followed] = await store.listRegressions(LATER + 5, timeout.fingerprint)
      expect(followed!.lastRun).toEqual({ jobId: jobIds[0], at: LATER + 5, outcome: 'running', state: 'queued', errorCategory: null, error: null })
      expect(await store.listRegressions(LATER, 'other')).toEqual([])
      // Purged samples: the cases stay.
      await store.purgeDead({ where: {} })
      expect(await store.listRegressions(LATER)).toHaveLength(cases.length)
    })
  })
}
