/**
 * A provider batch is settled by one engine at a time: an engine settling a big batch holds
 * it for as long as the settle takes, so a second engine on the team store does not start
 * settling the same batch over it (reading every result again, and counting the lines sent
 * back twice on the batch). Timings are shrunk (a lease and a poll wait of milliseconds, a
 * slice of one line) so that a settle outlasts them, as a 50,000-line settle outlasts the
 * default 2-minute lease and 5-minute poll wait.
 */
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { closedAfterEach, FAST_LANE, KINDS, saveBatchProfile } from '../../provider-batches/support'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()
const opened = closedAfterEach()
const LANE = { ...FAST_LANE, leaseMs: 300, sliceLines: 1 }

const engineOn = async (url: string): Promise<Engine> =>
  opened(await createEngine({ dataDir: tempDir(), store: url, threads: 1, pollMs: 20, artifacts: false, cache: { enabled: false }, batchLane: LANE }))

describe.skipIf(!server)('a big provider batch settling on a team store', () => {
  it('is read and counted by one engine only', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const db = new pg.Pool({ connectionString: url, max: 1 })
    db.on('error', () => undefined)
    onTestFinished(() => db.end())
    const [kind] = KINDS
    const fake = opened(await kind!.start())
    fake.book.hold = true
    const first = await engineOn(url)
    await saveBatchProfile(first, kind!, fake, { lane: 'batch' })
    await first.call('enqueueJobs', { jobs: Array.from({ length: 300 }, (_, i) => ({ prompt: `p${i}`, provider: 'batchy' })) })
    await waitFor(
      async () => (await db.query<{ state: string }>('SELECT state FROM provider_batches')).rows,
      (rows) => rows.length === 1 && rows[0]!.state === 'sent',
      { what: 'the provider batch uploaded', timeoutMs: 10_000 },
    )
    await engineOn(url)
    // It expires with half its lines run: the other half goes back to the queue.
    fake.book.finishedEarly = 150
    fake.book.expireNext = true
    fake.book.hold = false
    await waitFor(
      async () => (await db.query<{ state: string }>('SELECT state FROM provider_batches ORDER BY id LIMIT 1')).rows,
      (rows) => rows[0]!.state === 'settled',
      { what: 'the provider batch settled', timeoutMs: 30_000 },
    )
    const resultReads = fake.requests.map((request) => request.path.split('?')[0]!).filter((path) => /\/(content|results)$/.test(path))
    const [batch] = (await db.query<{ succeeded: number; requeued: number }>('SELECT succeeded, requeued FROM provider_batches ORDER BY id LIMIT 1')).rows
    expect(batch).toEqual({ succeeded: 150, requeued: 150 })
    // Each results file read once: one settle.
    expect(resultReads.length).toBe(new Set(resultReads).size)
  })
})
