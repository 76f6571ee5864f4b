/**
 * A large file loaded while it is parsed (intake/stream.ts) onto a disk that fills midway: a
 * small tmpfs is the data directory. `genops enqueue` ends with one line saying why and
 * exits non-zero; nothing of the file is visible (no count, no claim, no listed job); once
 * space is made, the next `genops enqueue` removes what the failed load left and takes its
 * own file whole. Mounting needs root: elsewhere skipped with the reason, in CI it must run.
 */
import { unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { genopsAsync } from '../support/cli'
import { cannotMount, smallDisk, unmountSmallDisks } from '../support/small-disk'
import { tempDir } from '../support/temp'

const whyNot = cannotMount()
if (whyNot && process.env.CI !== 'true') console.log(`full-disk intake test skipped: it mounts a small tmpfs, and here: ${whyNot}`)
afterAll(unmountSmallDisks)

describe.runIf(whyNot === null || process.env.CI === 'true')('a large file loading onto a disk that fills', () => {
  it('ends with one line, leaves nothing visible, and is removed by the next enqueue once there is room', async () => {
    expect(whyNot).toBeNull()
    const dataDir = smallDisk('12m')
    // The file lives elsewhere: only the queue's rows fill the small disk (~60,000 rows with their indexes are over 12 MiB).
    const file = join(tempDir(), 'big.jsonl')
    writeFileSync(
      file,
      Array.from({ length: 60_000 }, (_, i) => JSON.stringify({ prompt: `Describe item ${i} in one careful paragraph.`, tags: ['big'] })).join('\n'),
    )
    // A migrated store, and a filler taking all but ~6 MiB, so the load runs out of room well inside the file.
    const store = SqliteQueueStore.open(databaseFile(dataDir))
    store.close()
    const filler = join(dataDir, 'filler')
    writeFileSync(filler, Buffer.alloc(5 * 1024 * 1024))

    const failed = await genopsAsync(['enqueue', file, '--data-dir', dataDir])
    expect(failed.status).not.toBe(0)
    expect(failed.stdout).toBe('')
    const problem = failed.stderr.split('\n').filter((line) => line && !/: loaded \d+ jobs, line/.test(line))
    expect(problem).toEqual([expect.stringMatching(/disk|full|space/i)])
    expect(failed.stderr).not.toMatch(/\n\s+at /)

    // Room again: the next enqueue removes what the failed load left, then takes its own file whole.
    unlinkSync(filler)
    const small = join(tempDir(), 'small.jsonl')
    writeFileSync(small, '{"prompt": "Say hello."}\n{"prompt": "Say goodbye."}')
    const next = await genopsAsync(['enqueue', small, '--data-dir', dataDir])
    expect(next.status).toBe(0)
    const after = SqliteQueueStore.open(databaseFile(dataDir))
    try {
      const { db } = after
      expect(db.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(2)
      expect(db.prepare('SELECT count(*) FROM batches WHERE loading_owner IS NOT NULL').pluck().get()).toBe(0)
      expect(db.prepare(`SELECT n FROM job_counts WHERE state = 'queued'`).pluck().get()).toBe(2)
    } finally {
      after.close()
    }
  }, 120_000)
})
