/**
 * Engines sharing one PostgreSQL database run on machines whose clocks disagree. Leases are
 * judged by the server's clock: an engine whose clock runs ahead must not recover the others'
 * live jobs (they would run twice), and one whose clock is behind must not write leases that
 * everyone else reads as run out. The lease's length is still what each engine asks for.
 */
import type pg from 'pg'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import type { ClaimOptions } from '../../../src/main/queue/store'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { openPool } from '../../../src/main/store/postgres/connect'
import { postgresServer } from '../../support/postgres'
import { waitFor } from '../../support/wait'
import { gatesFor } from '../conformance/gated-claim'
import { job, LEASE } from '../conformance/harness'

const server = await postgresServer()

const SKEW = 10 * 60_000
const OWNER = 'host-a:101:skewed'

/** Two engines on one fresh database, and a connection that reads the rows and the server's clock. */
async function openTwo(): Promise<{ a: PostgresQueueStore; b: PostgresQueueStore; pool: pg.Pool; id: number }> {
  const url = await server!.freshDatabase()
  const a = await PostgresQueueStore.open(url)
  const b = await PostgresQueueStore.open(url)
  const pool = await openPool(url)
  onTestFinished(async () => {
    await pool.end()
    await b.close()
    await a.close()
  })
  // Due long ago, so that an engine whose clock is behind finds it due too.
  const [id] = (await a.enqueue([job('p', { runAt: 0 })], 'b', 0)).jobIds
  return { a, b, pool, id: id! }
}

async function serverNow(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ now: string }>('SELECT (extract(epoch from statement_timestamp()) * 1000)::bigint AS now')
  return Number(rows[0]!.now)
}

async function leaseOf(pool: pg.Pool, id: number): Promise<number> {
  const { rows } = await pool.query<{ lease_expires_at: string }>('SELECT lease_expires_at FROM jobs WHERE id = $1', [id])
  return Number(rows[0]!.lease_expires_at)
}

/** What `write` did to the lease, as the server's clock read just before and just after it. */
async function leaseWritten(pool: pg.Pool, id: number, write: () => Promise<unknown>): Promise<{ before: number; lease: number; after: number }> {
  const before = await serverNow(pool)
  await write()
  const after = await serverNow(pool)
  return { before, lease: await leaseOf(pool, id), after }
}

/** This process's clock, as an engine on a machine whose clock is off by `offsetMs` reads it. */
function clockOff(offsetMs: number): void {
  const real = Date.now.bind(Date)
  vi.spyOn(Date, 'now').mockImplementation(() => real() + offsetMs)
}

afterEach(() => {
  vi.restoreAllMocks()
})

const CLAIMS = [
  ['a plain claim', (options: ClaimOptions) => options],
  ['a gated claim', (options: ClaimOptions) => ({ ...options, gate: (facts) => gatesFor().forClaim(facts, options.now) })],
] as const satisfies readonly (readonly [string, (options: ClaimOptions) => ClaimOptions])[]

describe.skipIf(!server)('leases on the server’s clock (PostgreSQL)', () => {
  it.each(CLAIMS)('an engine whose clock runs ahead does not recover a job another engine just claimed (%s)', async (_, shape) => {
    const { a, b, pool, id } = await openTwo()
    const { lease, before, after } = await leaseWritten(pool, id, () => a.claim(shape({ owner: OWNER, limit: 1, now: Date.now(), leaseMs: LEASE })))
    expect(lease).toBeGreaterThanOrEqual(before + LEASE)
    expect(lease).toBeLessThanOrEqual(after + LEASE)
    expect(await b.recoverStalled({ now: Date.now() + SKEW, maxStalled: 1 })).toEqual([])
    expect((await b.get(id, Date.now()))!.state).toBe('active')
  })

  it.each(CLAIMS)('an engine whose clock is behind writes a lease the others read as running (%s)', async (_, shape) => {
    const { a, b, pool, id } = await openTwo()
    const { lease, before, after } = await leaseWritten(pool, id, () => a.claim(shape({ owner: OWNER, limit: 1, now: Date.now() - SKEW, leaseMs: LEASE })))
    expect(lease).toBeGreaterThanOrEqual(before + LEASE)
    expect(lease).toBeLessThanOrEqual(after + LEASE)
    expect(await b.recoverStalled({ now: Date.now(), maxStalled: 1 })).toEqual([])
    expect((await b.get(id, Date.now()))!.state).toBe('active')
  })

  it('recovers a lease that really ran out, even from an engine whose clock is behind', async () => {
    const { a, b, pool, id } = await openTwo()
    await a.claim({ owner: OWNER, limit: 1, now: Date.now(), leaseMs: 1 })
    const lease = await leaseOf(pool, id)
    await waitFor(
      () => serverNow(pool),
      (now) => now > lease,
      { what: 'the server’s clock to pass the lease' },
    )
    expect(await b.recoverStalled({ now: Date.now() - SKEW, maxStalled: 1 })).toEqual([{ id, state: 'queued', attemptsMade: 1 }])
  })

  it('a heartbeat from an engine whose clock runs ahead extends by the length asked, from the server’s clock', async () => {
    const { a, b, pool, id } = await openTwo()
    clockOff(SKEW)
    await a.claim({ owner: OWNER, limit: 1, now: Date.now(), leaseMs: LEASE })
    const { lease, before, after } = await leaseWritten(pool, id, () => a.extendLeases(OWNER, Date.now() + 2 * LEASE))
    expect(lease).toBeGreaterThanOrEqual(before + 2 * LEASE)
    expect(lease).toBeLessThanOrEqual(after + 2 * LEASE)
    // A heartbeat that asks for a lease ending now ends it now on every clock.
    await a.extendLeases(OWNER, Date.now() - 1)
    vi.restoreAllMocks()
    expect(await b.recoverStalled({ now: Date.now(), maxStalled: 1 })).toEqual([{ id, state: 'queued', attemptsMade: 1 }])
  })

  it('a heartbeat from an engine whose clock is behind keeps its job from a correct engine’s sweep', async () => {
    const { a, b, pool, id } = await openTwo()
    clockOff(-SKEW)
    await a.claim({ owner: OWNER, limit: 1, now: Date.now(), leaseMs: LEASE })
    const { lease, before, after } = await leaseWritten(pool, id, () => a.extendLeases(OWNER, Date.now() + LEASE))
    expect(lease).toBeGreaterThanOrEqual(before + LEASE)
    expect(lease).toBeLessThanOrEqual(after + LEASE)
    vi.restoreAllMocks()
    expect(await b.recoverStalled({ now: Date.now(), maxStalled: 1 })).toEqual([])
    expect((await b.get(id, Date.now()))!.state).toBe('active')
  })
})
