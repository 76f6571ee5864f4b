/**
 * Hostile (found so): an idempotency key of a large file that is still loading (and is later
 * refused) swallowed another enqueue's job with the same key. The other enqueue was told its
 * job was "already known", got the loading row's id, and when the big file was refused that
 * row was removed: the operator's job was gone, and the id they were given named nothing.
 * The other enqueue is now refused until the load ends, saying so, and goes in when tried again.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createHandlers } from '../../../src/main/operations'
import { loadPromptFile } from '../../../src/main/intake/stream'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import { genopsAsync, genopsInBackground } from '../../support/cli'
import { tempDir } from '../../support/temp'
import { DEFAULTS, lateRefusal } from './late-refusal'

describe('a key in a loading file that is later refused', () => {
  it('does not swallow a concurrent enqueue of a job with the same key (in-process, two connections)', async () => {
    const dir = tempDir()
    const db = join(dir, 'genops.db')
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, lateRefusal(30_000, 'shared'))
    const loader = SqliteQueueStore.open(db)
    const other = SqliteQueueStore.open(db)
    let concurrent: Promise<{ batchId: number; jobIds: number[]; duplicates: number }> | undefined
    const answer = await loadPromptFile(loader, file, {
      defaults: DEFAULTS,
      profiles: new Map(),
      // Once the first thousand (with line 10's key) is written, another operator enqueues their own job with that key.
      onProgress: () => {
        if (concurrent) return
        concurrent = createHandlers(other).enqueueJobs({ jobs: [{ prompt: 'my own job', idempotencyKey: 'shared' }], defaults: DEFAULTS, batchName: 'mine' })
        // Looked at once the big file is done; until then its refusal must not count as unhandled.
        concurrent.catch(() => {})
      },
    })
    expect(answer.ok).toBe(false)
    await expect(concurrent!).rejects.toThrow(
      /^idempotency key "shared" is taken by job \d+ of batch \d+, which is still being enqueued: try again once it is$/,
    )
    // Tried again once the big file is refused (and removed), it goes in.
    const mine = await createHandlers(other).enqueueJobs({ jobs: [{ prompt: 'my own job', idempotencyKey: 'shared' }], defaults: DEFAULTS, batchName: 'mine' })
    expect(mine.duplicates).toBe(0)
    const rows = other.db.prepare(`SELECT id, prompt FROM jobs WHERE idempotency_key = 'shared'`).all()
    expect(rows).toEqual([{ id: mine.jobIds[0], prompt: 'my own job' }])
    await expect(createHandlers(other).getJob({ id: mine.jobIds[0]! })).resolves.toMatchObject({ id: mine.jobIds[0] })
    loader.close()
    other.close()
  }, 60_000)

  it('does not swallow a concurrent `genops enqueue` of a job with the same key (two CLI processes)', async () => {
    const dir = tempDir()
    const big = join(dir, 'big.jsonl')
    writeFileSync(big, lateRefusal(300_000, 'shared'))
    const small = join(dir, 'small.jsonl')
    writeFileSync(small, JSON.stringify({ prompt: 'my own job', idempotency_key: 'shared' }))
    // A store of its own first, so that both processes open a migrated database.
    SqliteQueueStore.open(join(dir, 'genops.db')).close()
    const loading = genopsInBackground(['enqueue', big, '--data-dir', dir])
    let bigErr = ''
    loading.stderr!.on('data', (chunk: Buffer) => (bigErr += chunk.toString()))
    const bigDone = new Promise<number | null>((resolve) => loading.on('exit', (code) => resolve(code)))
    const watch = SqliteQueueStore.open(join(dir, 'genops.db'))
    // Wait until the big file's batch is loading with line 10's key in it.
    for (;;) {
      const row = watch.db.prepare(`SELECT 1 FROM jobs WHERE idempotency_key = 'shared'`).get()
      if (row) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const refused = await genopsAsync(['enqueue', small, '--data-dir', dir, '--json'])
    const bigStatus = await bigDone
    expect(bigStatus).toBe(2)
    expect(bigErr).toMatch(/^big\.jsonl:300000: /m)
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toMatch(/idempotency key "shared" is taken by job \d+ of batch \d+, which is still being enqueued: try again once it is/)
    // Tried again, it goes in, and its job is there.
    const mine = await genopsAsync(['enqueue', small, '--data-dir', dir, '--json'])
    expect(mine.status).toBe(0)
    const [batch] = JSON.parse(mine.stdout) as [{ jobIds: number[]; duplicates: number }]
    expect(batch.duplicates).toBe(0)
    expect(watch.db.prepare(`SELECT id FROM jobs WHERE idempotency_key = 'shared'`).all()).toEqual([{ id: batch.jobIds[0] }])
    watch.close()
  }, 60_000)
})
