/**
 * One team store, one set of rules: a breaker the operator holds open from the CLI is held by
 * every engine on the queue, and a profile's requests per minute hold across engines (the
 * window is the store's, not each engine's). Two whole engines on one PostgreSQL database.
 */
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { genopsAsync } from '../../support/cli'
import { postgresServer } from '../../support/postgres'
import { closedAfterTest } from '../../support/serve-child'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()

async function engineOn(url: string, overrides: Partial<Parameters<typeof createEngine>[0]> = {}): Promise<Engine> {
  return closedAfterTest(
    await createEngine({ dataDir: tempDir(), store: url, threads: 1, concurrency: 16, pollMs: 50, stallSweepMs: 200, artifacts: false, ...overrides }),
  )
}

const finished = (engine: Engine, n: number) =>
  waitFor(
    () => engine.call('queueStats', {}),
    (s) => s.counts.completed + s.counts.dead + s.counts.cancelled >= n,
    { what: `${n} finished jobs`, timeoutMs: 60_000 },
  )

describe.skipIf(!server)('rules every engine on a team store obeys', () => {
  it('holds a breaker the operator opened from the CLI on every engine, and lets go on every engine at the reset', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const [one, two] = await Promise.all([engineOn(url), engineOn(url)])
    const open = await genopsAsync(['breakers', 'open', 'sim', '--store', url, '--data-dir', tempDir()])
    expect(open.stderr).toBe('')
    expect(open.stdout).toMatch(/sim: held open/)
    for (const engine of [one, two]) {
      await waitFor(
        () => engine.health.has('breaker:sim'),
        (applied) => applied,
        { what: 'each engine to apply the command' },
      )
    }
    await one.call('enqueueJobs', { jobs: Array.from({ length: 6 }, (_, i) => ({ prompt: `held ${i}` })) })
    for (const engine of [one, two]) {
      const { jobs } = await waitFor(
        () => engine.call('listJobs', { limit: 10 }),
        (page) => page.jobs.length === 6 && page.jobs.every((job) => job.held === 'held: breaker held open by the operator'),
        { what: 'every job shown held on each engine' },
      )
      expect(jobs.every((job) => job.attemptsMade === 0)).toBe(true)
    }
    const reset = await genopsAsync(['breakers', 'reset', 'sim', '--store', url, '--data-dir', tempDir()])
    expect(reset.stdout).toMatch(/sim: reset to closed/)
    await finished(two, 6)
    expect((await one.call('queueStats', {})).counts.completed).toBe(6)
  })

  it("starts no more than a profile's requests per minute in any window, whichever engine starts them", { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const windowMs = 3000
    const rateLimits = { windowMs, cooldownAfter: 3, cooldownWithinMs: 3000 }
    const [one, two] = await Promise.all([engineOn(url, { rateLimits }), engineOn(url, { rateLimits })])
    await one.call('saveProvider', { name: 'metered', provider: 'sim', limits: { requestsPerMinute: 10 } })
    await two.call('enqueueJobs', { jobs: Array.from({ length: 25 }, (_, i) => ({ prompt: `metered ${i}` })), defaults: { provider: 'metered' } })
    await finished(one, 25)

    const db = new pg.Pool({ connectionString: url, max: 1 })
    db.on('error', () => undefined)
    onTestFinished(() => db.end())
    const { rows } = await db.query<{ started_at: number }>(`SELECT started_at FROM job_attempts WHERE outcome = 'ok' ORDER BY started_at`)
    const starts = rows.map((row) => Number(row.started_at))
    expect(starts).toHaveLength(25)
    for (const [i, at] of starts.entries()) expect(starts.filter((s) => s >= at && s < at + windowMs).length, `window from start ${i}`).toBeLessThanOrEqual(10)
    expect(starts[10]! - starts[0]!).toBeGreaterThanOrEqual(windowMs)
    // Both engines were claiming from the queue all along (each on the Workers panel, neither stopped).
    const { rows: workers } = await db.query<{ stopped_at: number | null }>('SELECT stopped_at FROM workers')
    expect(workers.map((worker) => worker.stopped_at)).toEqual([null, null])
  })
})
