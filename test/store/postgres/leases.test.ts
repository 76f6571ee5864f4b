/** Leases live in the rows: an engine that dies holding jobs leaves them to another engine's recovery once its lease runs out. */
import { describe, expect, it } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { job, LEASE, leasesRunOut, T0 } from '../conformance/harness'

const server = await postgresServer()

describe.skipIf(!server)('leases across engines', () => {
  it('lets a surviving engine recover and finish the jobs of one that died mid-attempt', async () => {
    const url = await server!.freshDatabase()
    const dying = await PostgresQueueStore.open(url)
    const survivor = await PostgresQueueStore.open(url)
    try {
      const { jobIds } = await dying.enqueue(
        Array.from({ length: 5 }, (_, i) => job(`p${i}`)),
        'b',
        T0,
      )
      expect((await dying.claim({ owner: 'host-a:1:dead', limit: 5, now: T0, leaseMs: LEASE })).jobs).toHaveLength(5)
      await dying.close()
      // Nothing to take while the dead engine's lease still runs.
      expect((await survivor.claim({ owner: 'host-b:2:alive', limit: 5, now: T0 + 1, leaseMs: LEASE })).jobs).toEqual([])
      expect(await survivor.leaseOwners()).toEqual(['host-a:1:dead'])
      await leasesRunOut(survivor, 'host-a:1:dead')
      const recovered = await survivor.recoverStalled({ now: T0 + LEASE + 1, maxStalled: 1 })
      expect(recovered.map((change) => change.id).sort((a, b) => a - b)).toEqual(jobIds)
      const { jobs } = await survivor.claim({ owner: 'host-b:2:alive', limit: 5, now: T0 + LEASE + 2, leaseMs: LEASE })
      expect(jobs.map((j) => j.attempt)).toEqual([2, 2, 2, 2, 2])
      await survivor.settle(
        jobs.map((j) => ({ id: j.id, outcome: 'ok', endedAt: T0 + LEASE + 3, output: 'done', inputTokens: null, outputTokens: null })),
        'host-b:2:alive',
      )
      expect((await survivor.stats(T0 + LEASE + 3)).counts).toMatchObject({ completed: 5, active: 0, queued: 0 })
      const detail = (await survivor.get(jobIds[0]!, T0 + LEASE + 3))!
      expect(detail.attempts.map((a) => a.outcome)).toEqual(['stalled', 'ok'])
    } finally {
      await survivor.close()
    }
  })
})
