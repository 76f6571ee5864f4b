/**
 * The shared rate state on PostgreSQL read as the SQLite store reads it (the same scenarios and
 * figures as test/resilience/shared-rate-state.test.ts): what a provider's last reading leaves,
 * counting the attempts it may not include, and the newest reading kept when answers come back
 * out of order, several in one settle.
 */
import type pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { openPool } from '../../../src/main/store/postgres/connect'
import { providerRates, recordStart, reportStarts } from '../../../src/main/store/postgres/rate-state'
import { UNANSWERED_EXPIRY_MS } from '../../../src/main/resilience/provider-quota'
import type { QuotaReading } from '../../../src/shared/ratelimit-headers'
import { postgresServer } from '../../support/postgres'

const server = await postgresServer()
const NOW = Date.parse('2026-12-06T06:00:00Z')

// Each reading's request went out 50 ms before its headers were read.
const reading = (at: number, remaining: number, resetAt: number, tokens = { limit: 10_000, remaining: 10_000 }): QuotaReading => ({
  at,
  sentAt: at - 50,
  requests: { limit: 10, remaining, resetAt },
  tokens: { ...tokens, resetAt },
})

async function setup() {
  const url = await server!.freshDatabase()
  // Migrated by the store; read and written through a pool of its own.
  await (await PostgresQueueStore.open(url)).close()
  const pool: pg.Pool = await openPool(url)
  onTestFinished(() => pool.end())
  let jobId = 0
  const start = (at: number, estimate = 100) => recordStart(pool, 'p', ++jobId, at, estimate)
  const answer = (id: number, answeredAt: number, read?: QuotaReading) => reportStarts(pool, [{ id, answeredAt, tokens: null, reading: read }])
  const room = async (now: number) => (await providerRates(pool, now, 60_000)).get('p')?.quota?.room
  return { pool, start, answer, room }
}

describe.skipIf(!server)(`the shared rate state on ${server?.name ?? 'PostgreSQL'}`, () => {
  it("counts attempts still running or answered after the reading's request went, and the whole limit after its reset", async () => {
    const { start, answer, room } = await setup()
    expect(await room(NOW)).toBeUndefined()
    const [a, b, c] = [await start(NOW - 100), await start(NOW - 90), await start(NOW - 80)]
    await start(NOW - 70)
    await answer(b!, NOW - 60)
    await answer(a!, NOW + 5, reading(NOW, 5, NOW + 2000))
    await answer(c!, NOW + 6, reading(NOW - 1, 6, NOW + 2000))
    expect(await room(NOW + 10)).toEqual({ requests: 5 - 2, tokens: 10_000 - 200, tokenLimit: 10_000 })
    for (let i = 0; i < 3; i++) await start(NOW + 20 + i)
    expect((await room(NOW + 30))!.requests).toBe(0)
    expect(await room(NOW + 2000)).toEqual({ requests: 10 - 4, tokens: 10_000 - 400, tokenLimit: 10_000 })
  })

  it('keeps the newest reading when answers come back out of order, in one settle or several', async () => {
    const { pool, start, answer, room } = await setup()
    const [a, b, c] = [await start(NOW - 300), await start(NOW - 200), await start(NOW - 100)]
    await reportStarts(pool, [
      { id: b, answeredAt: NOW, tokens: null, reading: reading(NOW - 100, 9, NOW + 5000) },
      { id: a, answeredAt: NOW, tokens: null, reading: reading(NOW, 4, NOW + 5000) },
    ])
    expect((await room(NOW))!.requests).toBe(4 - 1)
    await answer(c, NOW + 100, reading(NOW + 100, 2, NOW + 5000))
    expect((await room(NOW + 100))!.requests).toBe(2)
  })

  it('weighs tokens as estimated when sent, and stops counting an attempt that never reports back', async () => {
    const { start, answer, room } = await setup()
    await answer(await start(NOW - 10, 20), NOW, reading(NOW, 9, NOW + 10 * UNANSWERED_EXPIRY_MS, { limit: 1000, remaining: 150 }))
    await start(NOW + 1, 200)
    expect(await room(NOW + 2)).toEqual({ requests: 8, tokens: -50, tokenLimit: 1000 })
    expect(await room(NOW + 2 + UNANSWERED_EXPIRY_MS)).toEqual({ requests: 9, tokens: 150, tokenLimit: 1000 })
  })

  it('reads a stored reading back through its schema: one of the wrong shape says nothing', async () => {
    const { pool } = await setup()
    await pool.query(`INSERT INTO provider_quotas (provider, sent_at, start_id, reading) VALUES ('p', 1, 1, '{"at": "soon", "requests": 5}')`)
    expect((await providerRates(pool, NOW, 60_000)).get('p')?.quota).toBeUndefined()
  })
})
