/**
 * Hostile (found so): "nothing is visible to claims, counts or readers until the whole file
 * is in". Claims and counts held; the readers an operator uses did not. While a large file
 * streamed in (here one refused at its last line, so none of it should ever be seen),
 * `genops jobs list`, `genops jobs view <id>` and `genops batches list` showed its rows and
 * its batch, and with --delay the queue stats counted its jobs as delayed and the queue as
 * negative. A batch still loading is now left out by every reader (store/sqlite/queue/load.ts, NOT_LOADING).
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createHandlers } from '../../../src/main/operations'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import { genops } from '../../support/cli'
import { DEFAULTS, loadRefusedFile } from './late-refusal'

describe('a large file still loading', () => {
  it('is not listed, viewed or counted by the readers (in-process handlers)', async () => {
    const seen: { listed: number; total: number | null; viewed: string }[] = []
    const pending: Promise<void>[] = []
    const answer = await loadRefusedFile((dir, loader) => {
      if (seen.length + pending.length > 0) return
      const reader = createHandlers(SqliteQueueStore.open(join(dir, 'genops.db')))
      const id = loader.db.prepare('SELECT min(id) FROM jobs').pluck().get() as number
      // Both reads run now, synchronously, while the batch is loading.
      const list = reader.listJobs({ limit: 50 })
      const view = reader.getJob({ id }).then(
        (job) => `job ${job.id} shown (${job.prompt})`,
        (error: Error) => error.message,
      )
      pending.push(Promise.all([list, view]).then(([page, viewed]) => void seen.push({ listed: page.jobs.length, total: page.total ?? null, viewed })))
    })
    await Promise.all(pending)
    expect(answer.ok).toBe(false)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toEqual({ listed: 0, total: seen[0]!.total === null ? null : 0, viewed: expect.stringMatching(/does not exist/) })
  }, 60_000)

  it('is not shown by `genops jobs list` nor `genops batches list`', async () => {
    let jobsListed: unknown[] | undefined
    let batchesListed: unknown
    const answer = await loadRefusedFile((dir) => {
      if (jobsListed) return
      // The CLI, run while the load waits between two messages: the batch is loading now.
      jobsListed = JSON.parse(genops(['jobs', 'list', '--json', '--data-dir', dir]).stdout) as unknown[]
      batchesListed = JSON.parse(genops(['batches', 'list', '--json', '--data-dir', dir]).stdout)
    })
    expect(answer.ok).toBe(false)
    expect({ jobsListed: jobsListed!.length, batchesListed: JSON.stringify(batchesListed) }).toEqual({
      jobsListed: 0,
      batchesListed: expect.not.stringContaining('big.jsonl'),
    })
  }, 60_000)

  it('is not counted by the queue stats when its jobs are delayed (`enqueue --delay`)', async () => {
    const stats: Promise<unknown>[] = []
    const answer = await loadRefusedFile(
      (dir) => {
        // Read now (the store's read is synchronous), while the batch is loading.
        if (stats.length === 0) stats.push(createHandlers(SqliteQueueStore.open(join(dir, 'genops.db'))).queueStats({}))
      },
      { ...DEFAULTS, delayMs: 3_600_000 },
    )
    expect(answer.ok).toBe(false)
    // Nothing is visible: every count is 0 (here the delayed part is read from the rows, the queued from the kept counts).
    expect(await stats[0]).toMatchObject({ counts: { queued: 0, delayed: 0 } })
  }, 60_000)
})
