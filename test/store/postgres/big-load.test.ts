/**
 * A big file on a team store: loaded in one transaction (other engines' writes never wait on
 * it, and none of its jobs is claimed or counted before it commits: PostgreSQL's MVCC), its
 * progress told chunk by chunk to `genops enqueue` and the drop dialog, and nothing kept when
 * a row fails late.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { LoadProgress } from '../../../src/main/queue/store'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { genopsAsync } from '../../support/cli'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'
import { job, T0 } from '../conformance/harness'

const server = await postgresServer()

async function storeOn(url: string): Promise<PostgresQueueStore> {
  const store = await PostgresQueueStore.open(url)
  onTestFinished(() => store.close())
  return store
}

describe.skipIf(!server)('a big load on a team store', () => {
  it('tells its progress chunk by chunk, and counts the jobs once, at the commit', async () => {
    const url = await server!.freshDatabase()
    const store = await storeOn(url)
    const told: LoadProgress[] = []
    const result = await store.load(
      Array.from({ length: 12_001 }, (_, i) => job(`p${i}`)),
      'big.jsonl',
      T0,
      null,
      { onProgress: (progress) => told.push(progress) },
    )
    expect(told).toEqual([5_000, 10_000, 12_001].map((loaded) => ({ batchId: result.batchId, loaded, total: 12_001 })))
    expect((await store.stats(T0)).counts.queued).toBe(12_001)
    // A small call says nothing: it is one chunk.
    const small: LoadProgress[] = []
    await store.load([job('one')], 'one.jsonl', T0, null, { onProgress: (progress) => small.push(progress) })
    expect(small).toEqual([])
  }, 60_000)

  it('keeps nothing of a load whose last chunk fails', async () => {
    const url = await server!.freshDatabase()
    const store = await storeOn(url)
    const told: number[] = []
    // PostgreSQL's text cannot hold a NUL: the row is refused by the server, after two chunks went in.
    const jobs = Array.from({ length: 11_000 }, (_, i) => job(i === 10_500 ? 'bad \u0000 prompt' : `p${i}`))
    await expect(store.load(jobs, 'bad.jsonl', T0, null, { onProgress: ({ loaded }) => told.push(loaded) })).rejects.toThrow()
    expect(told).toEqual([5_000, 10_000])
    expect((await store.stats(T0)).counts).toMatchObject({ queued: 0 })
    expect((await store.list({ limit: 5 }, T0)).jobs).toEqual([])
  }, 60_000)

  it('`genops enqueue --store` says how far a big file got, on stderr', async () => {
    const url = await server!.freshDatabase()
    const dir = tempDir()
    const file = join(dir, 'many.jsonl')
    writeFileSync(file, Array.from({ length: 12_000 }, (_, i) => `{"prompt":"Say ${i}."}`).join('\n'))
    const result = await genopsAsync(['enqueue', file, '--store', url, '--data-dir', dir])
    expect(result.stdout).toBe('many.jsonl: enqueued 12000 jobs as batch 1\n')
    // Past the size from which a file loads while it is parsed: the line its parse reached, as on the SQLite store.
    expect(result.stderr).toMatch(/many\.jsonl: loaded 12000 jobs, line 12000 of 12000 \(100%\)/)
  }, 60_000)
})
