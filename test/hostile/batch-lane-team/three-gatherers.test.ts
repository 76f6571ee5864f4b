/**
 * Three engines on one PostgreSQL database gathering the batch lane at the same moment, with
 * a budget set (so every take reserves its lines' estimate): every job goes into exactly one
 * provider batch and is uploaded once, completes once, and afterwards the kept counts (by
 * state, by batch) equal a real count of the rows and no reservation is left held against
 * the budget.
 */
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { job } from '../../store/conformance/harness'
import { closedAfterEach, FAST_LANE, KINDS, saveBatchProfile, settledAll } from '../../provider-batches/support'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()
const opened = closedAfterEach()

const engineOn = async (url: string): Promise<Engine> =>
  opened(
    await createEngine({
      dataDir: tempDir(),
      store: url,
      threads: 1,
      pollMs: 20,
      artifacts: false,
      cache: { enabled: false },
      batchLane: { ...FAST_LANE, limits: { openai: { maxRequests: 5, maxBytes: 10_000_000 }, anthropic: { maxRequests: 5, maxBytes: 10_000_000 } } },
    }),
  )

describe.skipIf(!server)('three engines gathering one team store’s batch lane at once', () => {
  it.each(KINDS)('put each $kind job in one provider batch, upload it once, and leave counts and budgets true', { timeout: 60_000 }, async (kind) => {
    const url = await server!.freshDatabase()
    const db = new pg.Pool({ connectionString: url, max: 1 })
    db.on('error', () => undefined)
    onTestFinished(() => db.end())
    const rows = async <T extends pg.QueryResultRow>(text: string) => (await db.query<T>(text)).rows
    const fake = opened(await kind.start())
    const engines = [await engineOn(url), await engineOn(url), await engineOn(url)]
    await saveBatchProfile(engines[0]!, kind, fake, { lane: 'batch' })
    await engines[0]!.call('setBudget', { scope: 'day', unit: 'usd', limit: 1000, action: 'alert' })
    // Enqueued by the CLI beside them: all three engines find the jobs due at their next gather.
    const cli = await PostgresQueueStore.open(url)
    onTestFinished(() => cli.close())
    const now = Date.now()
    const prompts = Array.from({ length: 60 }, (_, i) => `prompt ${i}`)
    await cli.enqueue(
      prompts.map((prompt) => job(prompt, { provider: 'batchy', runAt: now - 1, config: { lane: 'batch' } })),
      'drop',
      now,
    )
    for (const engine of engines) await settledAll(engine)

    const uploaded = [...fake.book.batches.values()].flatMap((batch) => batch.requests.map((request) => request.customId))
    expect(uploaded.length).toBe(60)
    expect(new Set(uploaded).size).toBe(60)
    const { jobs } = await engines[1]!.call('listJobs', { limit: 100 })
    expect(jobs.every((each) => each.state === 'completed' && each.attemptsMade === 1)).toBe(true)
    expect(await rows('SELECT count(*)::int AS n FROM job_attempts')).toEqual([{ n: 60 }])
    expect(await rows(`SELECT coalesce(sum(succeeded), 0)::int AS n FROM provider_batches WHERE state = 'settled'`)).toEqual([{ n: 60 }])
    // The kept counts every engine shows, against the rows.
    expect(await rows('SELECT state, sum(n)::int AS n FROM job_counts GROUP BY state HAVING sum(n) <> 0 ORDER BY state')).toEqual(
      await rows('SELECT state, count(*)::int AS n FROM jobs GROUP BY state ORDER BY state'),
    )
    expect(await rows('SELECT batch_id::int, state, sum(n)::int AS n FROM batch_counts GROUP BY batch_id, state HAVING sum(n) <> 0 ORDER BY 1, 2')).toEqual(
      await rows('SELECT batch_id::int, state, count(*)::int AS n FROM jobs GROUP BY batch_id, state ORDER BY 1, 2'),
    )
    expect(await rows("SELECT job_id FROM budget_reservations r JOIN jobs j ON j.id = r.job_id WHERE j.state IN ('active', 'submitted')")).toEqual([])
    expect(await rows('SELECT count(*)::int AS n FROM budget_reservations')).toEqual([{ n: 0 }])
  })
})
