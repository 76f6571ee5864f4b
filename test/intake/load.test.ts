/**
 * A big enqueue loads in short transactions into a batch no claim sees (store/sqlite/queue/load.ts):
 * a failed load leaves nothing, the scheduler's claims and settles go on while a load runs
 * and never take its jobs, and a `genops enqueue` killed mid-load leaves nothing visible
 * and is removed at the next start. Shown by counts, never by timings (those are in bench/).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { toNewJob } from '../../src/main/queue/new-job'
import { ownerIsGone } from '../../src/main/queue/lease-owner'
import { loadingBatches } from '../../src/main/store/sqlite/queue/load'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import type { NewJob } from '../../src/main/queue/store'
import { MAX_JOBS_PER_CALL } from '../../src/shared/contract'
import { genopsAsync, genopsInBackground } from '../support/cli'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function freshStore(): { store: SqliteQueueStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'genops-load-'))
  dirs.push(dir)
  return { store: SqliteQueueStore.open(join(dir, 'genops.db')), dir }
}

const jobs = (n: number, at: number, key = ''): NewJob[] =>
  Array.from({ length: n }, (_, i) => ({
    ...toNewJob({ prompt: `Say ${i}.`, ...(key && { idempotencyKey: `${key}-${i}` }) }, {}, at),
    origin: { file: 0, row: i + 1, input: null },
  }))

/** What every reader goes by: the maintained counts, the batches' counts, the metrics' totals, and the rows. */
function seen(store: SqliteQueueStore) {
  const { db } = store
  return {
    queued: db.prepare(`SELECT n FROM job_counts WHERE state = 'queued'`).pluck().get() as number,
    active: db.prepare(`SELECT n FROM job_counts WHERE state = 'active'`).pluck().get() as number,
    completed: db.prepare(`SELECT n FROM job_counts WHERE state = 'completed'`).pluck().get() as number,
    rows: db.prepare('SELECT count(*) FROM jobs').pluck().get() as number,
    batches: db.prepare('SELECT count(*) FROM batches').pluck().get() as number,
    batchCounts: db.prepare('SELECT ifnull(sum(n), 0) FROM batch_counts').pluck().get() as number,
    enqueuedTotal: db.prepare(`SELECT ifnull(sum(n), 0) FROM metric_totals WHERE metric = 'jobs_enqueued'`).pluck().get() as number,
  }
}

describe('a big enqueue loads out of sight', () => {
  it('refuses to cancel or delete a job of a batch still loading, whose counts are not in yet', async () => {
    const { store } = freshStore()
    const at = Date.now()
    const refusals: string[] = []
    store.loadProgress = () => {
      const id = store.db.prepare('SELECT min(id) FROM jobs').pluck().get() as number
      for (const act of [() => store.cancel(id, at), () => store.remove(id)]) {
        try {
          act()
        } catch (error) {
          refusals.push((error as Error).message)
        }
      }
    }
    await store.load(jobs(12_000, at), 'big.jsonl', at)
    expect(refusals.length).toBeGreaterThan(0)
    expect(new Set(refusals)).toEqual(new Set([expect.stringMatching(/^job \d+ belongs to batch \d+, which is still being enqueued: try again once it is$/)]))
    expect(seen(store)).toMatchObject({ queued: 12_000, rows: 12_000, batchCounts: 12_000 })
    store.close()
  })

  it('leaves nothing when the load fails midway', async () => {
    const { store } = freshStore()
    const at = Date.now()
    const batch = jobs(20_000, at)
    // A row the schema refuses (priority is 0 to 2), well past the first slices.
    batch[15_000] = { ...batch[15_000]!, priority: 7 }
    const progress: number[] = []
    store.loadProgress = ({ loaded }) => progress.push(loaded)
    await expect(store.load(batch, 'broken.jsonl', at)).rejects.toThrow(/CHECK constraint/)
    // It did load in several slices before it failed...
    expect(progress.length).toBeGreaterThan(1)
    // ...and nothing of it is left.
    expect(seen(store)).toEqual({ queued: 0, active: 0, completed: 0, rows: 0, batches: 0, batchCounts: 0, enqueuedTotal: 0 })
    store.close()
  })

  it('lets claims and settles go on while it loads, never claims its jobs, and counts it once whole', async () => {
    const { store } = freshStore()
    const at = Date.now()
    const before = store.enqueue(jobs(300, at - 1000, 'before'), 'before.jsonl', at - 1000)
    const beforeIds = new Set(before.jobIds)
    let claimed = 0
    let settled = 0
    let foreign = 0
    let claimsWhileLoading = 0
    let loading = true
    let sawLoadingBatch = false
    // The scheduler's turn, between the load's slices: claim a few, settle them.
    const scheduler = (async () => {
      while (loading) {
        sawLoadingBatch ||= loadingBatches(store.db).length > 0
        const { jobs: taken } = store.claim({ owner: 'test:1:a', limit: 5, now: Date.now(), leaseMs: 60_000 }) as Awaited<ReturnType<SqliteQueueStore['claim']>>
        claimsWhileLoading += taken.length
        for (const job of taken) if (!beforeIds.has(job.id)) foreign++
        claimed += taken.length
        store.settle(
          taken.map((job) => ({ id: job.id, outcome: 'ok' as const, endedAt: Date.now(), output: 'ok', inputTokens: 1, outputTokens: 1 })),
          'test:1:a',
        )
        settled += taken.length
        // While the load runs, the counts show only what is visible: the earlier batch's jobs.
        expect(seen(store).queued).toBe(300 - settled)
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    const result = await store.load(jobs(100_000, at, 'big'), 'big.jsonl', at)
    loading = false
    await scheduler
    expect(sawLoadingBatch).toBe(true)
    expect(claimsWhileLoading).toBeGreaterThan(0)
    expect(foreign).toBe(0)
    expect(settled).toBe(claimed)
    expect(result.jobIds).toHaveLength(100_000)
    expect(loadingBatches(store.db)).toEqual([])
    expect(seen(store)).toEqual({
      queued: 300 - settled + 100_000,
      active: 0,
      completed: settled,
      rows: 100_300,
      batches: 2,
      batchCounts: 100_300,
      enqueuedTotal: 100_300,
    })
    // The keys still dedupe: the same file again adds nothing.
    const again = await store.load(jobs(100_000, at, 'big'), 'big.jsonl', at)
    expect(again.duplicates).toBe(100_000)
    expect(new Set(again.jobIds)).toEqual(new Set(result.jobIds))
    expect(seen(store).queued).toBe(300 - settled + 100_000)
    expect(seen(store).enqueuedTotal).toBe(100_300)
    store.close()
  }, 60_000)

  it('`genops enqueue` loads a file of more jobs than one call to a server takes, as one batch', async () => {
    const { store, dir } = freshStore()
    const count = MAX_JOBS_PER_CALL + 50_000
    const file = join(dir, 'many.jsonl')
    writeFileSync(file, Array.from({ length: count }, (_, i) => `{"prompt":"Say ${i}."}`).join('\n'))
    const result = await genopsAsync(['enqueue', file, '--data-dir', dir])
    expect(result.stdout).toBe(`many.jsonl: enqueued ${count} jobs as batch 1\n`)
    // One large file loads while it is parsed (intake/stream.ts), telling the lines read.
    expect(result.stderr).toMatch(new RegExp(`many.jsonl: loaded ${count} jobs, line ${count} of ${count} \\(100%\\)`))
    expect(seen(store)).toMatchObject({ queued: count, rows: count, batches: 1 })
    store.close()
  }, 120_000)

  it('leaves nothing visible when `genops enqueue` is killed mid-load, and the next start removes what it wrote', async () => {
    const { store, dir } = freshStore()
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, Array.from({ length: 150_000 }, (_, i) => JSON.stringify({ prompt: `Say ${i}.` })).join('\n'))
    const child = genopsInBackground(['enqueue', file, '--data-dir', dir])
    // Killed once its first slices are written (the batch not yet visible): watched in the file itself, as a load of
    // 150,000 rows can end within the second before it first says how far it got.
    await new Promise<void>((resolve, reject) => {
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const written = store.db.prepare('SELECT count(*) FROM jobs').pluck()
      const watch = setInterval(() => {
        if ((written.get() as number) === 0) return
        clearInterval(watch)
        child.kill('SIGKILL')
        resolve()
      }, 2)
      child.on('exit', () => {
        clearInterval(watch)
        reject(new Error(`genops enqueue ended before it was killed: ${stderr}`))
      })
    })
    await new Promise((resolve) => child.once('exit', resolve))
    const left = seen(store)
    expect(left.rows).toBeGreaterThan(0)
    expect(left.rows).toBeLessThan(150_000)
    // Nothing of it is visible: no count, no claim.
    expect({ ...left, rows: 0 }).toEqual({ queued: 0, active: 0, completed: 0, rows: 0, batches: 1, batchCounts: 0, enqueuedTotal: 0 })
    expect((store.claim({ owner: 'test:1:b', limit: 10, now: Date.now() + 1000, leaseMs: 60_000 }) as { jobs: unknown[] }).jobs).toEqual([])
    // The next start (the scheduler's first sweep does this) removes it whole.
    expect(await store.removeAbandonedLoads(ownerIsGone)).toBe(1)
    expect(seen(store)).toEqual({ queued: 0, active: 0, completed: 0, rows: 0, batches: 0, batchCounts: 0, enqueuedTotal: 0 })
    store.close()
  }, 60_000)
})
