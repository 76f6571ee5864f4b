/**
 * A late result from an engine whose lease was taken over changes nothing: in particular it
 * leaves the budget reservations the new owner made when it reclaimed the job (a hostile read
 * found it deleted them, so the budget gate admitted more work than the budget allows).
 */
import { describe, expect, it } from 'vitest'
import { type PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { openBoth, reservingClaim } from '../conformance/gated-claim'
import { job, LEASE, leasesRunOut, postgresStores, T0 } from '../conformance/harness'

const server = await postgresServer()
const postgres = postgresStores(server)
const claimWith = reservingClaim

describe.skipIf(!server)('late settle after a takeover (PostgreSQL)', () => {
  it("keeps the new owner's reservations, so the budget still holds back more work", async () => {
    const [a, b] = await openBoth(postgres)
    await a.enqueue(
      Array.from({ length: 4 }, (_, i) => job(`spend ${i}`, { provider: 'work', runAt: T0 })),
      'b',
      T0,
    )
    await a.costs.setBudget({ scope: 'profile', batchId: null, target: 'work', unit: 'usd', limit: 1, action: 'pause' }, T0)
    const first = await claimWith(a, T0, 'engine-a')
    expect(first).toHaveLength(4)
    // Engine A hangs; its leases run out and engine B recovers and reclaims the same four jobs.
    const later = T0 + LEASE + 1
    await leasesRunOut(a as unknown as PostgresQueueStore, 'engine-a')
    await (b as unknown as PostgresQueueStore).recoverStalled({ now: later, maxStalled: 5 })
    const second = await claimWith(b, later + 1, 'engine-b')
    expect(second.map((j) => j.id).sort()).toEqual(first.map((j) => j.id).sort())
    expect((await b.costs.budgets(later + 1))[0]).toMatchObject({ reserved: 1 })
    // A wakes up and reports: its lease is gone, so nothing of it may count.
    const changes = await a.settle(
      first.map((j) => ({ id: j.id, outcome: 'ok' as const, endedAt: later + 2, output: 'late', inputTokens: 1, outputTokens: 1 })),
      'engine-a',
    )
    expect(changes).toEqual([])
    // More of the batch's work arrives (a rerun, a second file): the budget is still spoken for by B's four.
    await a.enqueue(
      Array.from({ length: 4 }, (_, i) => job(`more ${i}`, { provider: 'work', runAt: T0 })),
      'more',
      later + 2,
    )
    expect((await b.costs.budgets(later + 3))[0]).toMatchObject({ reserved: 1 })
    // With B's four still running and reserving the whole budget, no further claim may pass.
    expect(await claimWith(b, later + 4, 'engine-b')).toHaveLength(0)
  })
})
