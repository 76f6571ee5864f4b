/**
 * The jobs screen's pages on PostgreSQL read the index each filter was given: a state's page
 * walks jobs_by_state, a batch's jobs_by_batch, a provider and model's jobs_by_model, the
 * dead-letter queue's its partial indexes, and the filters' choices seek through
 * jobs_by_model instead of scanning jobs. Read right after a big enqueue, with only the
 * statistics the store keeps itself (enqueue.ts).
 */
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { openPool } from '../../../src/main/store/postgres/connect'
import { deadListStatement } from '../../../src/main/store/postgres/dead'
import { listFilter, MODELS, pageStatement, PROVIDERS } from '../../../src/main/store/postgres/list'
import { postgresServer } from '../../support/postgres'
import { job, OWNER, T0 } from '../conformance/harness'

const server = await postgresServer()

async function planOf(pool: pg.Pool, statement: { text: string; params: unknown[] }): Promise<string> {
  const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.text}`, statement.params)
  return rows.map((row) => row['QUERY PLAN']).join('\n')
}

describe.skipIf(!server)('the jobs list’s query plans on PostgreSQL', () => {
  it('pages a state, a batch and a model by their indexes, the dead by theirs, and seeks the filters’ choices', async () => {
    const url = await server!.freshDatabase()
    const store = await PostgresQueueStore.open(url)
    const pool = await openPool(url)
    try {
      await store.enqueue(
        Array.from({ length: 20_000 }, (_, i) => job(`p${i}`, { provider: `p${i % 4}`, model: `m${i % 8}`, maxAttempts: 1 })),
        'big',
        T0,
      )
      // A few jobs of their own batch and model among many: where an index pays, and the planner must see it.
      const { batchId } = await store.enqueue(
        Array.from({ length: 5 }, () => job('small', { provider: 'rare', model: 'r' })),
        'small',
        T0,
      )
      const { jobs } = await store.claim({ owner: OWNER, limit: 50, now: T0, leaseMs: 60_000 })
      await store.settle(
        jobs.map((j) => ({ id: j.id, outcome: 'error', endedAt: T0 + 1, category: 'AUTH', message: 'HTTP 401', retryable: false, retryAt: T0 })),
        OWNER,
      )
      const page = (options: Parameters<typeof listFilter>[0]) => pageStatement(listFilter(options, T0), true, 30_000, 50)
      const byState = await planOf(pool, page({ state: 'dead', limit: 50 }))
      expect(byState).toMatch(/Index (Only )?Scan Backward using jobs_by_state on jobs/)
      const byBatch = await planOf(pool, page({ batchId, limit: 50 }))
      expect(byBatch).toMatch(/Index Scan Backward using jobs_by_batch on jobs/)
      const byModel = await planOf(pool, page({ provider: 'rare', model: 'r', limit: 50 }))
      expect(byModel).toMatch(/Index Scan Backward using jobs_by_model on jobs/)
      for (const plan of [byState, byBatch, byModel]) expect(plan).not.toMatch(/Seq Scan on jobs|Sort Key/)
      const dead = await planOf(pool, deadListStatement({ category: 'AUTH', limit: 50 }))
      // Every dead job here failed alike: the state's index is as narrow as the category's, and either is a walk of dead jobs only.
      expect(dead).toMatch(/Index Scan Backward using jobs_(dead_by_category|by_state) on jobs/)
      expect(dead).not.toMatch(/Seq Scan on jobs/)
      // The filters' choices: a seek a provider and a model, never a read of every job.
      const providers = await planOf(pool, { text: PROVIDERS, params: [] })
      const models = await planOf(pool, { text: MODELS, params: [['p0', 'rare']] })
      for (const plan of [providers, models]) {
        expect(plan).toMatch(/Index Only Scan using jobs_by_model on jobs/)
        expect(plan).not.toMatch(/Seq Scan on jobs/)
      }
    } finally {
      await pool.end()
      await store.close()
    }
  })
})
