/** The side rows' conformance on PostgreSQL: a fresh database per test, read back on a pool of its own; and two engines settling at once. */
import { describe, expect, it, onTestFinished } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { openPool } from '../../../src/main/store/postgres/connect'
import { postgresServer } from '../../support/postgres'
import { failed, job, LEASE, ok, OTHER, OWNER, T0 } from '../conformance/harness'
import { sideRowsConformance, type SideRowsFactory } from '../conformance/side-rows'

const server = await postgresServer()

const postgres: SideRowsFactory = async () => openOn(await server!.freshDatabase())

async function openOn(url: string): ReturnType<SideRowsFactory> {
  const store = await PostgresQueueStore.open(url)
  // The store's own pool settings: bigints and counts read as numbers, as on SQLite.
  const pool = await openPool(url, { max: 1 })
  return {
    store,
    read: async (query) => (await pool.query<Record<string, unknown>>(query)).rows,
    close: async () => {
      await pool.end()
      await store.close()
    },
  }
}

describe.skipIf(!server)(`side rows on ${server?.name ?? 'PostgreSQL'}`, () => {
  sideRowsConformance(postgres)

  it('adds two engines’ settles into the same rollup rows, failure group and batch without losing either', async () => {
    const url = await server!.freshDatabase()
    const { store, read, close } = await openOn(url)
    onTestFinished(close)
    const other = await PostgresQueueStore.open(url)
    onTestFinished(() => other.close())
    const { jobIds } = await store.enqueue(
      Array.from({ length: 40 }, (_, i) => job(`j${i}`, { tags: ['shared'] })),
      'shared',
      T0,
    )
    const mine = await store.claim({ owner: OWNER, limit: 20, now: T0, leaseMs: LEASE })
    const theirs = await other.claim({ owner: OTHER, limit: 20, now: T0, leaseMs: LEASE })
    const results = (ids: number[]) => ids.map((id, i) => (i % 2 ? ok(id, T0 + 100) : failed(id, { endedAt: T0 + 100, retryable: false })))
    for (let round = 0; round < 3; round++) {
      await Promise.all([store.settle(results(mine.jobs.map((j) => j.id)), OWNER), other.settle(results(theirs.jobs.map((j) => j.id)), OTHER)])
    }
    expect(jobIds).toHaveLength(40)
    expect(await read(`SELECT attempts, completed, dead FROM usage_rollups WHERE provider = '' AND resolution = 1000`)).toEqual([
      { attempts: 40, completed: 20, dead: 20 },
    ])
    expect(await read(`SELECT attempts, input_tokens FROM batches`)).toEqual([{ attempts: 40, input_tokens: 60 }])
    expect(await read(`SELECT count, sample_job_ids IS NOT NULL AS kept FROM failure_groups`)).toEqual([{ count: 20, kept: true }])
    expect(await read(`SELECT detail, n FROM metric_totals WHERE metric = 'jobs_finished' ORDER BY detail`)).toEqual([
      { detail: 'completed', n: 20 },
      { detail: 'dead', n: 20 },
    ])
  })
})
