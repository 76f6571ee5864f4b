/**
 * Hostile: "nothing is visible to claims, counts or readers until the whole file is in".
 * Claims and counts hold; the readers an operator uses do not. While a large file streams
 * in (here one refused at its last line, so none of it should ever be seen), `genops jobs
 * list`, `genops jobs view <id>` and `genops batches list` show its rows and its batch, and
 * with --delay the queue stats count its jobs as delayed and the queue as negative.
 * The old whole-file path wrote nothing of a refused file, so nothing of it could be read.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createHandlers } from '../../../src/main/operations'
import { loadPromptFile } from '../../../src/main/intake/stream'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import type { JobDefaults } from '../../../src/shared/jobs'
import { genops } from '../../support/cli'
import { tempDir } from '../../support/temp'

const DEFAULTS: JobDefaults = { provider: 'sim', priority: 'normal' }

function lateRefusal(lines: number): string {
  return Array.from({ length: lines }, (_, i) => (i === lines - 1 ? '{"prompt": 7}' : JSON.stringify({ prompt: `Say ${i}.` }))).join('\n')
}

describe('a large file still loading', () => {
  it('is not listed, viewed or counted by the readers (in-process handlers)', async () => {
    const dir = tempDir()
    const db = join(dir, 'genops.db')
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, lateRefusal(20_000))
    const loader = SqliteQueueStore.open(db)
    const reader = createHandlers(SqliteQueueStore.open(db))
    const seen: { listed: number; total: number | null; viewed: string }[] = []
    const pending: Promise<void>[] = []
    const answer = await loadPromptFile(loader, file, {
      defaults: DEFAULTS,
      profiles: new Map(),
      batchName: 'big.jsonl',
      onProgress: () => {
        if (seen.length + pending.length > 0) return
        const id = loader.db.prepare('SELECT min(id) FROM jobs').pluck().get() as number
        // Both reads run now, synchronously, while the batch is loading.
        const list = reader.listJobs({ limit: 50 })
        const view = reader.getJob({ id }).then(
          (job) => `job ${job.id} shown (${job.prompt})`,
          (error: Error) => error.message,
        )
        pending.push(Promise.all([list, view]).then(([page, viewed]) => void seen.push({ listed: page.jobs.length, total: page.total ?? null, viewed })))
      },
    })
    await Promise.all(pending)
    expect(answer.ok).toBe(false)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toEqual({ listed: 0, total: seen[0]!.total === null ? null : 0, viewed: expect.stringMatching(/does not exist/) })
    loader.close()
  }, 60_000)

  it('is not shown by `genops jobs list` nor `genops batches list`', async () => {
    const dir = tempDir()
    const db = join(dir, 'genops.db')
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, lateRefusal(20_000))
    const loader = SqliteQueueStore.open(db)
    let jobsListed: unknown[] | undefined
    let batchesListed: unknown
    const answer = await loadPromptFile(loader, file, {
      defaults: DEFAULTS,
      profiles: new Map(),
      batchName: 'big.jsonl',
      onProgress: () => {
        if (jobsListed) return
        // The CLI, run while the load waits between two messages: the batch is loading now.
        jobsListed = JSON.parse(genops(['jobs', 'list', '--json', '--data-dir', dir]).stdout) as unknown[]
        batchesListed = JSON.parse(genops(['batches', 'list', '--json', '--data-dir', dir]).stdout)
      },
    })
    expect(answer.ok).toBe(false)
    expect({ jobsListed: jobsListed!.length, batchesListed: JSON.stringify(batchesListed) }).toEqual({
      jobsListed: 0,
      batchesListed: expect.not.stringContaining('big.jsonl'),
    })
    loader.close()
  }, 60_000)

  it('is not counted by the queue stats when its jobs are delayed (`enqueue --delay`)', async () => {
    const dir = tempDir()
    const db = join(dir, 'genops.db')
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, lateRefusal(20_000))
    const loader = SqliteQueueStore.open(db)
    const reader = createHandlers(SqliteQueueStore.open(db))
    const stats: Promise<unknown>[] = []
    const answer = await loadPromptFile(loader, file, {
      defaults: { ...DEFAULTS, delayMs: 3_600_000 },
      profiles: new Map(),
      batchName: 'big.jsonl',
      onProgress: () => {
        // Read now (the store's read is synchronous), while the batch is loading.
        if (stats.length === 0) stats.push(reader.queueStats({}))
      },
    })
    expect(answer.ok).toBe(false)
    // Nothing is visible: every count is 0 (here the delayed part is read from the rows, the queued from the kept counts).
    expect(await stats[0]).toMatchObject({ counts: { queued: 0, delayed: 0 } })
    loader.close()
  }, 60_000)
})
