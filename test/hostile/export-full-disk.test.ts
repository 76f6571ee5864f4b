/**
 * An export onto a disk that fills under it: a small tmpfs is the folder written to. Each
 * format ends with one line naming the full disk, nothing is left there (not even the
 * temporary file), and no stream error escapes to crash the process that asked.
 *
 * Mounting needs root: elsewhere the suite is skipped with one line saying so, except in CI,
 * where it fails.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeBatchExport } from '../../src/main/batches/export/write-export'
import { job, T0, tempStore } from '../support/queue'

const mounts: string[] = []
afterAll(() => {
  for (const dir of mounts.splice(0)) {
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  }
})

/** A fresh tmpfs of `size`, or why this machine cannot mount one. */
function smallDisk(size: string): string | { whyNot: string } {
  if (process.getuid?.() !== 0) return { whyNot: 'not running as root' }
  const dir = mkdtempSync(join(tmpdir(), 'genops-export-disk-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' })
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    return { whyNot: `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message || '').trim()}` }
  }
  mounts.push(dir)
  return dir
}

describe('an export onto a disk that fills', () => {
  it('fails in one line for every format and leaves nothing behind', async (context) => {
    const disk = smallDisk('64k')
    if (typeof disk !== 'string') {
      if (process.env.CI === 'true') throw new Error(disk.whyNot)
      console.log(`export full-disk test skipped: it mounts a small tmpfs, and here: ${disk.whyNot}`)
      return context.skip()
    }
    const store = tempStore()
    // 2,000 jobs of 200 random hex characters: 200 KB even compressed (Parquet), three times the disk.
    const { batchId } = store.enqueue(
      Array.from({ length: 2000 }, (_, i) => job(`prompt ${i}`)),
      'big',
      T0,
    )
    const { jobs } = store.claim({ owner: 'o', limit: 2000, now: T0, leaseMs: 60_000 })
    store.settle(
      jobs.map((claimed) => ({
        id: claimed.id,
        outcome: 'ok' as const,
        endedAt: T0 + 10,
        output: randomBytes(100).toString('hex'),
        inputTokens: 1,
        outputTokens: 50,
      })),
      'o',
    )
    for (const format of ['csv', 'jsonl', 'parquet'] as const) {
      const path = join(disk, `big.${format}`)
      await expect(writeBatchExport(store.batches, { batchId, format, path })).rejects.toThrow(`cannot write ${path}: the disk is full`)
      expect(readdirSync(disk)).toEqual([])
    }
  })
})
