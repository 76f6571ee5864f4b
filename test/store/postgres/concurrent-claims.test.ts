/**
 * Engines claiming one PostgreSQL queue at once: each a store with its own pool, claiming and
 * settling as fast as they can. FOR UPDATE SKIP LOCKED must hand every job to exactly one.
 */
import { describe, expect, it } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { job, T0 } from '../conformance/harness'

const server = await postgresServer()

const ROUNDS = 4
const JOBS_PER_ROUND = 600

/** Claims and completes until nothing is left; answers the ids it claimed. */
async function drain(store: PostgresQueueStore, owner: string, now: number): Promise<number[]> {
  const claimed: number[] = []
  for (;;) {
    const { jobs } = await store.claim({ owner, limit: 7, now, leaseMs: 60_000 })
    if (jobs.length === 0) return claimed
    claimed.push(...jobs.map((j) => j.id))
    await store.settle(
      jobs.map((j) => ({ id: j.id, outcome: 'ok', endedAt: now, output: owner, inputTokens: null, outputTokens: null })),
      owner,
    )
  }
}

describe.skipIf(!server)('claims from several engines at once', () => {
  it('never hands one job to two engines, round after round', async () => {
    const url = await server!.freshDatabase()
    const engines = await Promise.all([1, 2, 3].map(() => PostgresQueueStore.open(url, { max: 3 })))
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const now = T0 + round
        const { jobIds } = await engines[0]!.enqueue(
          Array.from({ length: JOBS_PER_ROUND }, (_, i) => job(`r${round} j${i}`, { runAt: now })),
          `round ${round}`,
          now,
        )
        const claims = await Promise.all(engines.map((engine, i) => drain(engine, `host:${i}:engine`, now)))
        const all = claims.flat()
        expect(all).toHaveLength(JOBS_PER_ROUND)
        expect([...all].sort((a, b) => a - b)).toEqual([...jobIds].sort((a, b) => a - b))
        // More than one engine took part, or the test proved nothing about contention.
        expect(claims.filter((ids) => ids.length > 0).length).toBeGreaterThan(1)
      }
      const stats = await engines[1]!.stats(T0 + ROUNDS)
      expect(stats.counts).toMatchObject({ queued: 0, active: 0, completed: ROUNDS * JOBS_PER_ROUND })
      const sample = await engines[2]!.get(JOBS_PER_ROUND + 1, T0 + ROUNDS)
      expect(sample!.attempts).toHaveLength(1)
    } finally {
      await Promise.all(engines.map((engine) => engine.close()))
    }
  })
})
