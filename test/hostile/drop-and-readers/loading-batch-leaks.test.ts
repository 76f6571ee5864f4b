/**
 * Hostile (found so): a batch still loading is "left out by readers". listJobs, getJob,
 * listBatches and jobFilterOptions' batches left it out; the batch's own detail (getBatch,
 * `genops batches view`), a rerun of it (which enqueued jobs of a file then refused), and
 * jobFilterOptions' tags did not. Here the file is refused at its last line, so none of what
 * these readers show should ever have existed. Its provider is still offered as a filter
 * while it loads (an index seek cannot tell a loading batch's rows without reading each one):
 * picking it lists nothing.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createHandlers, type Handlers } from '../../../src/main/operations'
import { loadPromptFile } from '../../../src/main/intake/stream'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import type { JobDefaults } from '../../../src/shared/jobs'
import { tempDir } from '../../support/temp'

const DEFAULTS: JobDefaults = { provider: 'sim', priority: 'normal' }

/** Jobs tagged `never-enqueued` on provider openai, the last line refused. */
function lateRefusal(lines: number): string {
  return Array.from({ length: lines }, (_, i) =>
    i === lines - 1 ? '{"prompt": 7}' : JSON.stringify({ prompt: `Say ${i}.`, provider: 'openai', model: 'gpt-ghost', tags: ['never-enqueued'] }),
  ).join('\n')
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ ok: true, value }),
    (error: Error) => ({ ok: false, message: error.message }),
  )

/**
 * A fresh data directory and its 20,000-line file refused late, loaded with `onLoading` told
 * the batch's id and a reader on another connection at its first step (the batch loading
 * then); what it started is waited for before the jobs left are counted.
 */
async function whileLoading(onLoading: (batchId: number, reader: Handlers) => Promise<unknown>[]) {
  const dir = tempDir()
  const db = join(dir, 'genops.db')
  const file = join(dir, 'big.jsonl')
  writeFileSync(file, lateRefusal(20_000))
  const loader = SqliteQueueStore.open(db)
  const reader = createHandlers(SqliteQueueStore.open(db))
  const started: Promise<unknown>[] = []
  try {
    const answer = await loadPromptFile(loader, file, {
      defaults: DEFAULTS,
      profiles: new Map(),
      onProgress: () => {
        if (started.length === 0) started.push(...onLoading(loader.db.prepare('SELECT max(id) FROM batches').pluck().get() as number, reader))
      },
    })
    const results = await Promise.all(started)
    return { answer, results, jobsLeft: loader.db.prepare(`SELECT count(*) FROM jobs WHERE prompt LIKE 'Say %'`).pluck().get() as number }
  } finally {
    loader.close()
  }
}

describe('a batch still loading, read by the readers the first change did not cover', () => {
  it('is not shown by getBatch, not rerun, and lends no tag to the filter options', async () => {
    // Run at once, synchronously, while the batch is loading.
    const { answer, results } = await whileLoading((batchId, reader) => [
      settled(reader.getBatch({ batchId })),
      reader.jobFilterOptions({}),
      settled(reader.rerunBatch({ batchId, changes: {}, estimateOnly: true })),
    ])
    expect(answer.ok).toBe(false)
    const [detail, options, rerun] = results as [{ ok: boolean }, { tags: string[] }, { ok: boolean; value?: unknown }]
    expect({ detailShown: detail.ok, rerunEstimated: rerun.ok, tags: options.tags }).toEqual({ detailShown: false, rerunEstimated: false, tags: [] })
  }, 60_000)
})

describe('a rerun of a batch still loading', () => {
  it('enqueues nothing from a file that is then refused', async () => {
    const { answer, jobsLeft } = await whileLoading((batchId, reader) => [settled(reader.rerunBatch({ batchId, changes: {}, estimateOnly: false }))])
    expect(answer.ok).toBe(false)
    // The file was refused: no job of it may be in the queue, through a rerun or otherwise.
    expect(jobsLeft).toBe(0)
  }, 60_000)
})
