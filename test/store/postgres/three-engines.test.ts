/**
 * Team mode end to end: three whole engines (`genops run --store postgres://…`, each its own
 * process and data directory: scheduler, worker pool, breakers, telemetry) drain one
 * PostgreSQL queue of 20,000 jobs enqueued by `genops enqueue --store`, and one is killed with
 * SIGKILL mid-drain while it runs attempts. The other two give its jobs back (its process is
 * gone on this host) and finish. Every job is completed exactly once: one committed ok attempt
 * each; the counts, batch counts and rollups the screens read agree with the rows.
 */
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { genopsAsync, genopsInBackground } from '../../support/cli'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()

const JOBS = 20_000

async function count(db: pg.Pool, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(sql)
  return Number(rows[0]!.n)
}

describe.skipIf(!server)('three engines on one PostgreSQL queue', () => {
  it('complete every job exactly once when one engine is killed -9 mid-drain', { timeout: 240_000 }, async () => {
    const url = await server!.freshDatabase()
    const db = new pg.Pool({ connectionString: url, max: 2 })
    db.on('error', () => undefined)
    onTestFinished(() => db.end())

    const file = join(tempDir(), 'jobs.jsonl')
    writeFileSync(file, Array.from({ length: JOBS }, (_, i) => JSON.stringify({ prompt: `team job ${i}`, config: { latencyMs: 20 } })).join('\n'))
    const enqueued = await genopsAsync(['enqueue', file, '--store', url, '--data-dir', tempDir()])
    // Nothing but how far the load got.
    for (const line of enqueued.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^jobs\.jsonl: loaded \d+ jobs, line \d+ of 20000 \(\d+%\)$/)
    expect(enqueued.status).toBe(0)

    const engines = [0, 1, 2].map(() => {
      const child = genopsInBackground(['run', '--until-empty', '--store', url, '--data-dir', tempDir(), '--threads', '1', '--no-metrics'])
      let stderr = ''
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      return { child, exited: once(child, 'exit'), stderr: () => stderr }
    })
    onTestFinished(() => engines.forEach(({ child }) => child.exitCode === null && child.kill('SIGKILL')))
    const [victim, ...survivors] = engines as [(typeof engines)[0], (typeof engines)[0], (typeof engines)[0]]

    // A random moment mid-drain, once the victim is running attempts.
    const threshold = 1_000 + Math.floor(Math.random() * (JOBS / 3))
    await waitFor(
      () => count(db, `SELECT count(*) AS n FROM jobs WHERE state = 'completed'`),
      (n) => n >= threshold,
      { timeoutMs: 120_000, what: `${threshold} jobs completed` },
    )
    const victimPid = victim.child.pid!
    const holding = await waitFor(
      () => count(db, `SELECT count(*) AS n FROM jobs WHERE state = 'active' AND lease_owner LIKE '%:${victimPid}:%'`),
      (n) => n > 0,
      { timeoutMs: 30_000, what: 'the victim to hold running attempts' },
    )
    victim.child.kill('SIGKILL')
    const [, signal] = await victim.exited
    expect(signal).toBe('SIGKILL')
    console.log(`killed engine ${victimPid} holding ~${holding} running attempts after ${threshold}+ jobs completed`)

    for (const survivor of survivors) {
      const [code] = await survivor.exited
      expect(survivor.stderr()).not.toMatch(/error|Error/)
      expect(code).toBe(0)
    }

    // Every job completed, each by exactly one committed ok attempt; what the kill cut off stalled and ran again.
    expect(await count(db, `SELECT count(*) AS n FROM jobs WHERE state <> 'completed'`)).toBe(0)
    const { rows: okPerJob } = await db.query<{ oks: string; jobs: string }>(
      `SELECT oks, count(*) AS jobs FROM (SELECT j.id, count(a.id) FILTER (WHERE a.outcome = 'ok') AS oks
         FROM jobs j LEFT JOIN job_attempts a ON a.job_id = j.id GROUP BY j.id) per_job GROUP BY oks`,
    )
    expect(okPerJob.map((row) => ({ oks: Number(row.oks), jobs: Number(row.jobs) }))).toEqual([{ oks: 1, jobs: JOBS }])
    const stalled = await count(db, `SELECT count(*) AS n FROM job_attempts WHERE outcome = 'stalled'`)
    expect(stalled).toBeGreaterThan(0)

    // What the screens read agrees with the rows: the queue's counts, the batch's, the rollups' attempts.
    expect(await count(db, `SELECT sum(n) AS n FROM job_counts WHERE state = 'completed'`)).toBe(JOBS)
    expect(await count(db, `SELECT coalesce(sum(n), 0) AS n FROM job_counts WHERE state <> 'completed'`)).toBe(0)
    expect(await count(db, `SELECT sum(n) AS n FROM batch_counts WHERE state = 'completed'`)).toBe(JOBS)
    expect(await count(db, `SELECT coalesce(sum(n), 0) AS n FROM batch_counts WHERE state <> 'completed'`)).toBe(0)
    const minute = 60_000
    // The rollups keep a row per provider and model, and one for all of them (provider '').
    expect(await count(db, `SELECT sum(completed) AS n FROM usage_rollups WHERE resolution = ${minute} AND provider = ''`)).toBe(JOBS)
    expect(await count(db, `SELECT sum(completed) AS n FROM usage_rollups WHERE resolution = ${minute} AND provider <> ''`)).toBe(JOBS)

    // All three engines registered on the Workers panel; the survivors stopped, the victim did not say goodbye.
    const { rows: workers } = await db.query<{ pid: number; stopped_at: string | null }>('SELECT pid, stopped_at FROM workers ORDER BY pid')
    expect(workers).toHaveLength(3)
    expect(workers.find((worker) => worker.pid === victimPid)?.stopped_at).toBeNull()
    expect(workers.filter((worker) => worker.stopped_at !== null)).toHaveLength(2)
  })
})
