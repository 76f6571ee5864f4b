/**
 * Batches in the real SQLite store: migration 0015 on a fresh file, where each job came
 * from, counts by state kept by the triggers whatever changes a state, progress and ETA,
 * export pages read by the batch index, a comparison matched by input row, a re-run.
 */
import { describe, expect, it } from 'vitest'
import { compareBatches } from '../../src/main/batches/compare'
import { rerunBatch } from '../../src/main/batches/rerun'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { job, T0, tempStore } from '../support/queue'

const sources = [{ name: 'products.csv', format: 'csv', jobs: 3, columns: ['sku', 'prompt'] }]
const origin = (row: number, sku: string) => ({ file: 0, row, input: JSON.stringify({ sku, prompt: `describe ${sku}` }) })

function productBatch(store: SqliteQueueStore) {
  return store.enqueue(
    ['A1', 'B2', 'C3'].map((sku, i) => ({ ...job(`describe ${sku}`), origin: origin(i + 2, sku) })),
    'products.csv',
    T0,
    null,
    { sources },
  )
}

/** Runs every queued job of the store: the first `fail` of them fail for good, the rest complete with `output(prompt)`. */
function runAll(store: SqliteQueueStore, at: number, output: (prompt: string) => string, fail = 0) {
  const { jobs } = store.claim({ owner: 'o', limit: 100, now: at, leaseMs: 60_000 })
  store.settle(
    jobs.map((claimed, i) =>
      i < fail
        ? { id: claimed.id, outcome: 'error' as const, endedAt: at + 50, category: 'VALIDATION', message: 'not JSON', retryable: false, retryAt: at }
        : { id: claimed.id, outcome: 'ok' as const, endedAt: at + 100, output: output(claimed.prompt), inputTokens: 10, outputTokens: 20 },
    ),
    'o',
  )
}

const realCounts = (store: SqliteQueueStore, batchId: number) =>
  Object.fromEntries(store.db.prepare('SELECT state, count(*) AS n FROM jobs WHERE batch_id = ? GROUP BY state').raw().all(batchId) as [string, number][])
const keptCounts = (store: SqliteQueueStore, batchId: number) =>
  Object.fromEntries(store.db.prepare('SELECT state, n FROM batch_counts WHERE batch_id = ? AND n <> 0').raw().all(batchId) as [string, number][])

describe('batches in the store', () => {
  it("keeps each job's source, and counts by state that agree with the jobs through claim, settle, cancel and delete", () => {
    const store = tempStore()
    const { batchId, jobIds } = productBatch(store)
    expect(store.db.prepare('SELECT source_file, source_row, input FROM jobs WHERE id = ?').get(jobIds[1])).toEqual({
      source_file: 0,
      source_row: 3,
      input: '{"sku":"B2","prompt":"describe B2"}',
    })
    expect(store.batches.sources(batchId)).toEqual(sources)
    expect(keptCounts(store, batchId)).toEqual({ queued: 3 })
    store.cancel(jobIds[2]!, T0)
    runAll(store, T0 + 1000, (prompt) => prompt.toUpperCase(), 1)
    expect(keptCounts(store, batchId)).toEqual(realCounts(store, batchId))
    expect(keptCounts(store, batchId)).toEqual({ dead: 1, completed: 1, cancelled: 1 })
    store.remove(jobIds[2]!)
    expect(keptCounts(store, batchId)).toEqual(realCounts(store, batchId))
  })

  it('gives progress, a rate and an ETA from recent finishes, and none while paused', () => {
    const store = tempStore()
    const { batchId } = store.enqueue(
      Array.from({ length: 10 }, (_, i) => job(`p${i}`)),
      'ten',
      T0,
    )
    const now = T0 + 120_000
    const { jobs } = store.claim({ owner: 'o', limit: 4, now: T0 + 60_000, leaseMs: 600_000 })
    store.settle(
      jobs.map((claimed) => ({ id: claimed.id, outcome: 'ok' as const, endedAt: T0 + 60_000, output: 'x', inputTokens: 1, outputTokens: 1 })),
      'o',
    )
    const [summary] = store.batches.list({ limit: 10 }, now)
    expect(summary).toMatchObject({ id: batchId, total: 10, finished: 4, counts: { queued: 6, completed: 4 }, held: null })
    // 4 finished in the minute since the start of the minute they finished in: 4 a minute, 6 left: a minute and a half.
    expect(summary!.ratePerMinute).toBeCloseTo(4, 5)
    expect(summary!.etaMs).toBeCloseTo(90_000, -2)
    store.pauseBatch(batchId, 'paused by the operator', now)
    expect(store.batches.get(batchId, now)).toMatchObject({ held: 'paused: paused by the operator', etaMs: null, p50LatencyMs: 0 })
    store.setBatchLimit(batchId, 2)
    expect(store.batches.get(batchId, now)).toMatchObject({ maxConcurrency: 2, cappedBy: 'the operator' })
  })

  it('reads export pages and matches by source through their indexes', () => {
    const store = tempStore()
    const plan = (text: string) => (store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(1, 0, 10) as { detail: string }[]).map((row) => row.detail).join('\n')
    expect(plan('SELECT id FROM jobs j INDEXED BY jobs_by_batch WHERE j.batch_id = ? AND j.id > ? ORDER BY j.id LIMIT ?')).toMatch(/jobs_by_batch/)
    expect(plan('SELECT id FROM jobs j WHERE j.batch_id = ? AND j.source_file = ? AND j.source_row = ?')).toMatch(/jobs_by_source/)
  })

  it('compares two runs row by row, and re-runs a batch with changes linked to the first', async () => {
    const store = tempStore()
    const first = productBatch(store)
    runAll(store, T0, (prompt) => `${prompt} is good`)
    const estimate = await rerunBatch(store, { batchId: first.batchId, changes: { config: { seed: 9 } }, estimateOnly: true }, T0)
    expect(estimate).toMatchObject({ batchId: null, estimate: { jobs: 3, estimatedUsd: 0 } })
    const { batchId: second } = await rerunBatch(store, { batchId: first.batchId, changes: { config: { seed: 9 } }, estimateOnly: false }, T0 + 10)
    expect(second).not.toBeNull()
    expect(store.batches.get(second!, T0)).toMatchObject({ rerunOf: first.batchId, rerunChanges: { config: { seed: 9 } }, sources })
    runAll(store, T0 + 20, (prompt) => (prompt.endsWith('B2') ? `${prompt} is great` : `${prompt} is good`))

    const all = await compareBatches(store.batches, { a: first.batchId, b: second!, onlyDifferent: false, after: 0, limit: 2 })
    expect(all.matchedBy).toBe('input row')
    expect(all.rows.map((row) => [row.key, row.same])).toEqual([
      ['products.csv:2', true],
      ['products.csv:3', false],
    ])
    const rest = await compareBatches(store.batches, { a: first.batchId, b: second!, onlyDifferent: false, after: all.next!, limit: 2 })
    expect(rest.rows.map((row) => row.key)).toEqual(['products.csv:4'])
    expect(rest.next).toBeNull()
    const different = await compareBatches(store.batches, { a: first.batchId, b: second!, onlyDifferent: true, after: 0, limit: 10 })
    expect(different.rows).toHaveLength(1)
    expect(different.rows[0]).toMatchObject({ a: { output: 'describe B2 is good' }, b: { output: 'describe B2 is great' } })
    expect(different.a).toMatchObject({ jobs: 3, completed: 3, failureRate: 0 })
  })
})
