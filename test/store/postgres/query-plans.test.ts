/**
 * The hot statements on PostgreSQL read the indexes they were written for: the claim walks
 * jobs_ready in order instead of sorting the queue, and the counts never scan the jobs. The
 * plans are read as the planner makes them right after a big enqueue, with only the
 * statistics the store refreshed itself (enqueue.ts): without them it sorts the whole queue.
 */
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { CLAIM } from '../../../src/main/store/postgres/claim'
import { openPool } from '../../../src/main/store/postgres/connect'
import { STATS } from '../../../src/main/store/postgres/read'
import { postgresServer } from '../../support/postgres'
import { job, OWNER, T0 } from '../conformance/harness'

const server = await postgresServer()

async function planOf(pool: pg.Pool, statement: string, params: unknown[]): Promise<string> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, params)
  return rows.map((row) => row['QUERY PLAN']).join('\n')
}

describe.skipIf(!server)('query plans on PostgreSQL', () => {
  it('claims through jobs_ready and counts the delayed jobs by its range', async () => {
    const url = await server!.freshDatabase()
    const store = await PostgresQueueStore.open(url)
    const pool = await openPool(url)
    try {
      await store.enqueue(
        Array.from({ length: 20_000 }, (_, i) => job(`p${i}`, { priority: i % 3 })),
        'big',
        T0,
      )
      // A queue being drained, right after its enqueue: autovacuum (off on our servers) has not looked at it yet.
      for (let i = 0; i < 2; i++) {
        const { jobs } = await store.claim({ owner: OWNER, limit: 50, now: T0, leaseMs: 60_000 })
        await store.settle(
          jobs.map((j) => ({ id: j.id, outcome: 'ok', endedAt: T0 + 1, output: '', inputTokens: null, outputTokens: null })),
          OWNER,
        )
      }
      // No ANALYZE here: the statistics are those the store keeps itself (a server's autovacuum may be off, as on ours).
      const claim = await planOf(pool, CLAIM, [OWNER, T0 + 60_000, T0 + 10, 10, 0])
      expect(claim).toMatch(/Index Scan using jobs_ready on jobs/)
      // The only sort is of the two counters it adds to; never of jobs.
      expect(claim).not.toMatch(/Sort Key: .*(priority|run_at)|Seq Scan on jobs/)
      const stats = await planOf(pool, STATS, [T0 + 10])
      expect(stats).toMatch(/Index Only Scan using jobs_ready on jobs|Index Scan using jobs_ready on jobs/)
      expect(stats).not.toMatch(/Seq Scan on jobs/)
    } finally {
      await pool.end()
      await store.close()
    }
  })
})
