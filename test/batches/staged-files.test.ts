/**
 * What exports and bundles leave on disk: the window's staged copies in <dataDir>/exports and
 * <dataDir>/bundles are removed after a day, and a partial file whose writer was killed
 * (kill -9 of `genops export` mid-write, a real process) is removed by the next export of the
 * same target or by the engine's sweep, never one a live writer is still writing.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exportsDir } from '../../src/main/batches/operations'
import { bundlesDir } from '../../src/main/diagnostics/bundle-writer'
import { partialPathFor } from '../../src/main/partial-files'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { STAGED_KEEP_MS, sweepStagedFiles } from '../../src/main/staged-files'
import { genopsAsync, genopsInBackground } from '../support/cli'
import { job, T0 } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

/** The pid of a process that has ended: nothing runs under it now. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'])
  await new Promise((resolve) => child.on('exit', resolve))
  return child.pid!
}

const partialsIn = (dir: string) => readdirSync(dir).filter((name) => name.endsWith('.part'))

describe('staged exports and bundles', () => {
  it('removes staged files older than a day and partials of dead writers, and keeps the rest', async () => {
    const dataDir = tempDir()
    const now = Date.now()
    for (const dir of [exportsDir(dataDir), bundlesDir(dataDir)]) mkdirSync(dir, { recursive: true })
    const old = join(exportsDir(dataDir), 'batch-1-old.csv')
    const fresh = join(exportsDir(dataDir), 'batch-2-fresh.csv')
    const oldBundle = join(bundlesDir(dataDir), 'genops-bundle-old.zip')
    const dead = join(exportsDir(dataDir), `.batch-3.csv.${await deadPid()}-0123abcd.part`)
    // Ours: a writer still at work (this process) keeps its partial, however old.
    const live = partialPathFor(join(exportsDir(dataDir), 'batch-4.csv'))
    const hidden = join(exportsDir(dataDir), '.DS_Store')
    for (const file of [old, fresh, oldBundle, dead, live, hidden]) writeFileSync(file, 'x')
    const twoDaysAgo = (now - 2 * STAGED_KEEP_MS) / 1000
    for (const file of [old, oldBundle, live, hidden]) utimesSync(file, twoDaysAgo, twoDaysAgo)

    expect(await sweepStagedFiles(dataDir, now)).toBe(3)
    expect([old, oldBundle, dead].map(existsSync)).toEqual([false, false, false])
    expect([fresh, live, hidden].map(existsSync)).toEqual([true, true, true])
    // A data directory that never exported anything: nothing to do, no error.
    expect(await sweepStagedFiles(tempDir(), now)).toBe(0)
  })

  it('an export killed mid-write leaves its partial; the next export of that target removes it and writes the whole file', { timeout: 120_000 }, async () => {
    const dataDir = tempDir()
    const out = tempDir()
    const rows = 30_000
    const store = SqliteQueueStore.open(databaseFile(dataDir))
    try {
      const { batchId } = store.enqueue(
        Array.from({ length: rows }, (_, i) => job(`prompt ${i}`)),
        'big.jsonl',
        T0,
      )
      for (;;) {
        const { jobs } = store.claim({ owner: 'o', limit: 5_000, now: T0, leaseMs: 60_000 })
        if (jobs.length === 0) break
        store.settle(
          jobs.map((claimed) => ({
            id: claimed.id,
            outcome: 'ok' as const,
            endedAt: T0 + 10,
            output: `answer ${claimed.id} `.repeat(40),
            inputTokens: 3,
            outputTokens: 40,
          })),
          'o',
        )
      }
      expect(batchId).toBe(1)
    } finally {
      store.close()
    }
    const target = join(out, 'big.results.jsonl')
    const writer = genopsInBackground(['export', '1', '--format', 'jsonl', '--out', target, '--data-dir', dataDir])
    const exited = new Promise((resolve) => writer.on('exit', resolve))
    await waitFor(
      () => partialsIn(out),
      (names) => names.length === 1,
      { timeoutMs: 60_000, what: 'the export to start writing its partial file' },
    )
    writer.kill('SIGKILL')
    await exited
    expect(existsSync(target)).toBe(false)
    expect(partialsIn(out)).toHaveLength(1)
    // Someone else's file in the chosen folder is never touched.
    writeFileSync(join(out, `.notes.txt.${await deadPid()}-0123abcd.part`), 'mine')

    const again = await genopsAsync(['export', '1', '--format', 'jsonl', '--out', target, '--data-dir', dataDir])
    expect(again.stderr).toBe('')
    expect(again.status).toBe(0)
    expect(readFileSync(target, 'utf8').trim().split('\n')).toHaveLength(rows)
    expect(partialsIn(out)).toEqual([expect.stringMatching(/^\.notes\.txt\./)])
  })
})
