/**
 * The gated claim's conformance suite on PostgreSQL (a fresh database per test), and what only
 * a server has: engines that claim at the same moment, each on its own connection.
 */
import { describe, expect, it } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { openPool } from '../../../src/main/store/postgres/connect'
import { DUE_IN_TRACKS } from '../../../src/main/store/postgres/held'
import { QUEUED_TRACKS, TRACK_HEADS } from '../../../src/main/store/postgres/tracks'
import { postgresServer } from '../../support/postgres'
import { gatedClaim, gatedClaimConformance, gatesFor, openBoth } from '../conformance/gated-claim'
import { job, postgresStores, T0 } from '../conformance/harness'

const server = await postgresServer()

const postgres = postgresStores(server)

describe.skipIf(!server)(`the gated claim on ${server?.name ?? 'PostgreSQL'}`, () => {
  gatedClaimConformance(postgres)

  it('two engines claiming at once never run more of a batch than its cap, nor take one job twice', async () => {
    const cap = 3
    const [first, second] = await openBoth(postgres)
    const { batchId } = await first.enqueue(
      Array.from({ length: 40 }, (_, i) => job(`capped ${i}`, { runAt: T0 })),
      'capped',
      T0,
      cap,
    )
    const claims = Array.from({ length: 12 }, (_, i) => {
      const gates = gatesFor()
      gates.setBatchCapsExist(true)
      return gatedClaim(i % 2 === 0 ? first : second, gates, T0 + i, 2, `engine-${i % 2}`)
    })
    const claimed = (await Promise.all(claims)).flat()
    expect(claimed.every((j) => j.batchId === batchId)).toBe(true)
    expect(new Set(claimed.map((j) => j.id)).size).toBe(claimed.length)
    expect(claimed).toHaveLength(cap)
    expect((await first.stats(T0 + 100)).counts).toMatchObject({ active: cap, queued: 40 - cap })
  })
  it('walks the tracks, reads their heads and counts held jobs through jobs_ready_by_track, sorting no jobs', async () => {
    const url = await server!.freshDatabase()
    const store = await PostgresQueueStore.open(url)
    const pool = await openPool(url)
    try {
      const providers = ['a', 'b', 'c', 'd']
      await store.enqueue(
        Array.from({ length: 20_000 }, (_, i) => job(`j ${i}`, { provider: providers[i % 4]!, priority: i % 3, runAt: T0 })),
        'big',
        T0,
      )
      const planOf = async (statement: string, params: unknown[]) =>
        (await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, params)).rows.map((row) => row['QUERY PLAN']).join('\n')
      const tracks = await planOf(QUEUED_TRACKS, [1000])
      expect(tracks).toMatch(/Index (Only )?Scan using jobs_ready_by_track on jobs/)
      expect(tracks).not.toMatch(/Seq Scan on jobs|Sort Key/)
      const heads = await planOf(TRACK_HEADS, [['a', 'b'], ['', ''], [1, 1], [10, 10], T0])
      expect(heads).toMatch(/Index Scan using jobs_ready_by_track on jobs/)
      expect(heads).not.toMatch(/Seq Scan on jobs|Sort Key: jobs/)
      const due = await planOf(DUE_IN_TRACKS, [['a'], [''], [1], T0, 4096])
      expect(due).toMatch(/Index (Only )?Scan using jobs_ready_by_track on jobs/)
      expect(due).not.toMatch(/Seq Scan on jobs/)
    } finally {
      await pool.end()
      await store.close()
    }
  })
})
