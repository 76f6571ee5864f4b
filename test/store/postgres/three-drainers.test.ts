/**
 * Issue 15's crash test: three engine processes drain one PostgreSQL queue of 20,000 jobs,
 * and one is killed with SIGKILL at a random moment mid-drain, while it holds a claim. The
 * other two must give its jobs back within its lease plus a sweep, as the scheduler does
 * (a dead owner's jobs at once, an expired lease's otherwise), and finish the drain. Every
 * job is completed exactly once: one committed ok attempt each (an attempt the crash cut
 * off may run again; its result never committed), and the kept counts match a real count.
 */
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { toNewJob } from '../../../src/main/queue/new-job'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { startStoreDrainer, type Progress, type StoreDrainer } from '../../support/store-drainer'

const server = await postgresServer()

const JOBS = 20_000
const CLAIM_LIMIT = 50
const LEASE_MS = 3_000
const SWEEP_MS = 500
/** Each claim is held this long before it is settled: long enough that the kill lands while the victim holds it. */
const ATTEMPT_MS = 25
/** Timers run late on a busy two-core machine: recovery is held to the lease plus a sweep, plus this. */
const LATE_MS = 1_000
/** The survivors' drain, kill included, takes seconds; past this something is stuck. */
const DRAIN_LIMIT_MS = 60_000

function within<T>(ms: number, promise: Promise<T>, what: () => Promise<string>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => void what().then((state) => reject(new Error(`not done after ${ms} ms: ${state}`))), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

/** Jobs by state, counted row by row (not the kept counters). */
async function realCounts(db: pg.Pool): Promise<Record<string, number>> {
  const { rows } = await db.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM jobs GROUP BY state')
  return Object.fromEntries(rows.map((row) => [row.state, Number(row.n)]))
}

describe.skipIf(!server)('three engine processes on one PostgreSQL queue', () => {
  it('complete every job exactly once when one of them is killed -9 mid-drain', { timeout: 120_000 }, async () => {
    const url = await server!.freshDatabase()
    const store = await PostgresQueueStore.open(url, { max: 2 })
    const db = new pg.Pool({ connectionString: url, max: 2 })
    // DROP DATABASE ... WITH (FORCE) at the test's end may cut these first.
    db.on('error', () => undefined)
    onTestFinished(async () => {
      await store.close()
      await db.end()
    })
    const now = Date.now()
    await store.enqueue(
      Array.from({ length: JOBS }, (_, i) => toNewJob({ prompt: `crash-test job ${i}` }, { provider: 'sim' }, now)),
      'three drainers',
      now,
    )

    const drainers: StoreDrainer[] = await Promise.all(
      [0, 1, 2].map(() =>
        startStoreDrainer('postgres', url, { limit: CLAIM_LIMIT, leaseMs: LEASE_MS, sweepMs: SWEEP_MS, attemptMs: ATTEMPT_MS, progress: true }),
      ),
    )
    onTestFinished(async () => void (await Promise.all(drainers.map((drainer) => drainer.kill()))))
    const [victim, ...survivors] = drainers as [StoreDrainer, StoreDrainer, StoreDrainer]

    // A random moment after the victim has completed some jobs: at its next claim, before it settles.
    const threshold = 200 + Math.floor(Math.random() * (JOBS / 6))
    const killed = new Promise<{ at: number; progress: Progress }>((resolve) => {
      let done = false
      victim.onProgress((progress) => {
        if (done || progress.settled < threshold) return
        done = true
        const at = Date.now()
        void victim.kill()
        resolve({ at, progress })
      })
    })
    const state = async () => JSON.stringify({ counts: await realCounts(db), stats: (await store.stats(Date.now())).counts })
    drainers.forEach((drainer) => drainer.go())
    const kill = await within(DRAIN_LIMIT_MS, killed, async () => `the victim never completed ${threshold} jobs; ${await state()}`)
    await victim.exited
    console.log(`killed ${victim.owner} after it completed ${kill.progress.settled} jobs, holding a claim of ${kill.progress.held}`)
    const results = await within(DRAIN_LIMIT_MS, Promise.all(survivors.map((survivor) => survivor.result)), state)

    // Every job completed, each by exactly one committed ok attempt.
    expect(await realCounts(db)).toEqual({ completed: JOBS })
    const { rows: okPerJob } = await db.query<{ oks: number; jobs: string }>(
      `SELECT oks, count(*) AS jobs FROM (SELECT j.id, count(a.id) FILTER (WHERE a.outcome = 'ok') AS oks
         FROM jobs j LEFT JOIN job_attempts a ON a.job_id = j.id GROUP BY j.id) per_job GROUP BY oks`,
    )
    expect(okPerJob.map((row) => ({ oks: Number(row.oks), jobs: Number(row.jobs) }))).toEqual([{ oks: 1, jobs: JOBS }])

    // The counts the dashboard reads agree with the rows.
    expect((await store.stats(Date.now())).counts).toEqual({ queued: 0, delayed: 0, submitted: 0, active: 0, completed: JOBS, dead: 0, cancelled: 0 })

    // The claim the victim held when it died, and nothing else, stalled: the survivors gave it back and ran it again.
    const { rows: stalled } = await db.query<{ job_id: number; ended_at: string; error: string; ran_again: string }>(
      `SELECT s.job_id, s.ended_at, s.error, ok.started_at AS ran_again FROM job_attempts s
         JOIN job_attempts ok ON ok.job_id = s.job_id AND ok.outcome = 'ok' WHERE s.outcome = 'stalled'`,
    )
    expect(stalled).toHaveLength(kill.progress.held)
    expect(results.reduce((sum, result) => sum + result.recovered, 0)).toBe(kill.progress.held)
    const { rows: outcomes } = await db.query<{ outcome: string; n: string }>(
      'SELECT outcome, count(*) AS n FROM job_attempts GROUP BY outcome ORDER BY outcome',
    )
    expect(outcomes.map((row) => [row.outcome, Number(row.n)])).toEqual([
      ['ok', JOBS],
      ['stalled', kill.progress.held],
    ])
    const delays = stalled.map((row) => Number(row.ended_at) - kill.at)
    console.log(
      `its ${stalled.length} jobs given back ${Math.min(...delays)}–${Math.max(...delays)} ms after the kill (${stalled[0]!.error}); ` +
        `survivors completed ${results.map((result) => result.completed).join(' and ')}`,
    )
    for (const row of stalled) {
      expect(Number(row.ended_at)).toBeGreaterThanOrEqual(kill.at)
      expect(Number(row.ended_at) - kill.at).toBeLessThanOrEqual(LEASE_MS + SWEEP_MS + LATE_MS)
      expect(Number(row.ran_again)).toBeGreaterThanOrEqual(Number(row.ended_at))
    }
    // Mid-drain: both survivors completed jobs, some of them after the kill.
    expect(results.every((result) => result.completed > 0)).toBe(true)
    const { rows: after } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM job_attempts WHERE outcome = 'ok' AND ended_at > $1`, [kill.at])
    expect(Number(after[0]!.n)).toBeGreaterThan(kill.progress.held)
  })
})
