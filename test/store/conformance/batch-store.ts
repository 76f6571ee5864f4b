/** Conformance, the batches port: progress from kept counts, sources, and a batch's jobs a page at a time for exports, comparisons and re-runs. */
import { describe, expect, it } from 'vitest'
import { claim, job, OWNER, T0 } from './harness'
import { freshReads, kill, type ReadsFactory, type ReadsStore } from './reads-harness'

const SOURCES = [
  { name: 'a.csv', format: 'csv', jobs: 4, columns: ['sku', 'name'] },
  { name: 'b.jsonl', format: 'jsonl', jobs: 2, columns: [] },
]

/** Six jobs from two files: three complete (JSON, JSON, text), one dies, one runs, one waits; and a re-run batch of it. */
async function seedBatch(store: ReadsStore) {
  const origins = [
    { file: 0, row: 1 },
    { file: 0, row: 2 },
    { file: 0, row: 3 },
    { file: 0, row: 4 },
    { file: 1, row: 1 },
    { file: 1, row: 2 },
  ]
  const { batchId, jobIds: ids } = await store.enqueue(
    origins.map((origin, i) =>
      job(`p${i}`, {
        maxAttempts: 1,
        priority: i < 4 ? 0 : 1,
        tags: ['t'],
        config: i === 0 ? { output: 'json' } : i === 1 ? { output: 'text' } : null,
        origin: { ...origin, input: JSON.stringify({ sku: `s${i}` }) },
      }),
    ),
    'catalog',
    T0,
    null,
    { sources: SOURCES },
  )
  const { jobs } = await claim(store, T0, 3)
  expect(jobs.map((j) => j.id)).toEqual(ids.slice(0, 3))
  const cost = { providerKind: 'sim', model: 'sim-large', usd: 0.25 }
  await store.settle(
    [
      { id: ids[0]!, outcome: 'ok', endedAt: T0 + 100, output: '{"b":1,"a":2}', inputTokens: 10, outputTokens: 20, cost },
      { id: ids[1]!, outcome: 'ok', endedAt: T0 + 300, output: '{"c":3,"a":4}', inputTokens: 30, outputTokens: 40, cost },
      { id: ids[2]!, outcome: 'ok', endedAt: T0 + 200, output: 'plain', inputTokens: 5, outputTokens: 6, cost },
    ],
    OWNER,
  )
  await kill(store, [ids[3]!], () => ({ category: 'AUTH', message: 'HTTP 401' }))
  await claim(store, T0 + 1000, 1)
  const rerun = await store.enqueue([job('again')], 'catalog again', T0 + 2000, 2, { rerunOf: batchId, rerunChanges: { model: 'other' } })
  return { batchId, ids, rerunId: rerun.batchId }
}

export function batchStoreConformance(factory: ReadsFactory): void {
  describe('the batches port', () => {
    it('lists batches newest first with their counts, spend and sources, and details one', async () => {
      const store = await freshReads(factory)
      const { batchId, rerunId } = await seedBatch(store)
      const now = T0 + 30_000
      const listed = await store.batches.list({ limit: 10 }, now)
      expect(listed.map((b) => b.id)).toEqual([rerunId, batchId])
      expect((await store.batches.list({ limit: 10, beforeId: rerunId }, now)).map((b) => b.id)).toEqual([batchId])
      const summary = listed[1]!
      expect(summary).toMatchObject({
        name: 'catalog',
        createdAt: T0,
        sources: SOURCES,
        counts: { queued: 1, active: 1, completed: 3, dead: 1, cancelled: 0 },
        total: 6,
        finished: 4,
        held: null,
        pause: null,
        attempts: 4,
        inputTokens: 45,
        outputTokens: 66,
        rerunOf: null,
      })
      expect(summary.costUsd).toBeCloseTo(0.75)
      // Four finished in the current minute's first half: a rate over half a minute.
      expect(summary.ratePerMinute).toBeCloseTo(8)
      expect(summary.etaMs).toBeCloseTo((2 / 8) * 60_000)
      expect(summary.estimatedTotalUsd).toBeCloseTo((0.75 / 4) * 6)
      expect(listed[0]).toMatchObject({ rerunOf: batchId, maxConcurrency: 2, total: 1, counts: { queued: 1 } })
      const detail = (await store.batches.get(batchId, now))!
      expect(detail).toMatchObject({ p50LatencyMs: 200, p95LatencyMs: 300, failures: [{ category: 'AUTH', count: 1 }], rerunChanges: null, reruns: [rerunId] })
      expect((await store.batches.get(rerunId, now))!.rerunChanges).toEqual({ model: 'other' })
      expect(await store.batches.get(999_999, now)).toBeNull()
      expect(await store.batches.sources(batchId)).toEqual(SOURCES)
      expect(await store.batches.sources(rerunId)).toEqual([])
      expect(await store.batches.sources(999_999)).toBeNull()
      await store.setPaused(true)
      expect((await store.batches.list({ limit: 10 }, now))[1]!.held).toBe('the queue is paused')
    })

    it('pages a batch’s jobs with their attempts’ totals, by id, by order and by place', async () => {
      const store = await freshReads(factory)
      const { batchId, ids } = await seedBatch(store)
      const page = await store.batches.exportPage(batchId, 0, 2)
      expect(page.map((row) => row.id)).toEqual(ids.slice(0, 2))
      expect(page[0]).toEqual({
        id: ids[0],
        state: 'completed',
        sourceFile: 0,
        sourceRow: 1,
        input: JSON.stringify({ sku: 's0' }),
        prompt: 'p0',
        output: '{"b":1,"a":2}',
        category: null,
        lastError: null,
        provider: 'sim',
        model: 'sim-large',
        attempts: 1,
        inputTokens: 10,
        outputTokens: 20,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0.25,
        latencyMs: 100,
        artifact: null,
        checked: true,
      })
      expect(page[1]).toMatchObject({ checked: false, latencyMs: 300 })
      expect((await store.batches.exportPage(batchId, ids[1]!, 10)).map((row) => row.id)).toEqual(ids.slice(2))
      expect((await store.batches.exportPage(batchId, ids[3]!, 10))[0]).toMatchObject({ state: 'active', model: null, inputTokens: null, costUsd: null })
      expect((await store.batches.exportPage(batchId, ids[2]!, 1))[0]).toMatchObject({ state: 'dead', category: 'AUTH', lastError: 'HTTP 401' })
      expect((await store.batches.jobsByOrder(batchId, 4, 10)).map((row) => row.id)).toEqual(ids.slice(4))
      const at = await store.batches.jobsAt(batchId, [
        { file: 1, row: 2 },
        { file: 0, row: 3 },
        { file: 2, row: 1 },
      ])
      expect([...at.keys()].sort()).toEqual(['0:3', '1:2'])
      expect(at.get('1:2')!.id).toBe(ids[5])
      expect(at.get('0:3')!.output).toBe('plain')
      expect(await store.batches.outputKeys(batchId, 10)).toEqual(['b', 'a', 'c'])
      expect(await store.batches.outputKeys(batchId, 2)).toEqual(['b', 'a'])
      expect(await store.batches.openJobIds(batchId, 0, 10)).toEqual(ids.slice(4))
      expect(await store.batches.openJobIds(batchId, ids[4]!, 10)).toEqual([ids[5]])
    })

    it('gives the figures a comparison and a re-run read', async () => {
      const store = await freshReads(factory)
      const { batchId, ids } = await seedBatch(store)
      const totals = (await store.batches.runTotals(batchId))!
      expect(totals).toMatchObject({ batchId, name: 'catalog', jobs: 6, completed: 3, dead: 1, p50LatencyMs: 200, p95LatencyMs: 300, failureRate: 0.25 })
      expect(totals.costUsd).toBeCloseTo(0.75)
      expect(totals.meanOutputChars).toBeCloseTo((13 + 13 + 5) / 3)
      expect(await store.batches.runTotals(999_999)).toBeNull()
      expect(await store.batches.tokenMeans(batchId)).toEqual({ jobs: 4, inputTokens: 45 / 4, outputTokens: 66 / 4 })
      expect(await store.batches.tokenMeans(999_999)).toEqual({ jobs: 0, inputTokens: 0, outputTokens: 0 })
      const rerun = await store.batches.rerunPage(batchId, ids[3]!, 1)
      expect(rerun).toHaveLength(1)
      const [source] = rerun
      expect({ ...source, config: null, tags: JSON.parse(source!.tags!) as unknown }).toEqual({
        id: ids[4],
        prompt: 'p4',
        provider: 'sim',
        model: null,
        priority: 1,
        maxAttempts: 1,
        config: null,
        tags: ['t'],
        sourceFile: 1,
        sourceRow: 1,
        input: JSON.stringify({ sku: 's4' }),
      })
      expect(JSON.parse((await store.batches.rerunPage(batchId, 0, 1))[0]!.config!)).toEqual({ output: 'json' })
    })
  })
}
