/**
 * The store's totals under the store-wide counters (migration 0021), on a real SQLite file:
 * every path that enqueues, finishes or runs a job adds to them in its own transaction,
 * retention and rollup pruning never take from them, an older database starts from what it
 * holds, the scrape's read never touches the jobs, and the exporter lease has one holder.
 */
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { USAGE_TOTALS, type SqliteMetricStore } from '../../src/main/store/sqlite/metric-store'
import { job, T0, tempStore } from '../support/queue'

const DAY = 86_400_000
const byKey = (store: { metrics: SqliteMetricStore }) =>
  Object.fromEntries(store.metrics.totals().counts.map((row) => [[row.metric, row.provider, row.model, row.detail].join('/'), row.n]))

describe('the totals the store-wide counters read', () => {
  it('count enqueues (a known key adds nothing), files by format, every finish and attempt; retention and pruning take nothing back', () => {
    const store = tempStore()
    const source = (format: string, jobs: number) => ({ name: `in.${format}`, format, jobs, columns: [] })
    store.enqueue([job('a'), job('b'), job('c', { provider: 'openai', model: 'gpt-x' })], 'first', T0, null, { sources: [source('csv', 2), source('txt', 1)] })
    store.enqueue([job('d', { idempotencyKey: 'k' }), job('d again', { idempotencyKey: 'k' })], 'second', T0)
    store.cancel(1, T0 + 1)
    const { jobs } = store.claim({ owner: 'o', limit: 10, now: T0 + 2, leaseMs: 60_000 })
    const ids = jobs.map((claimed) => claimed.id)
    expect(ids).toEqual([2, 3, 4])
    store.settle(
      [
        { id: 2, outcome: 'ok', endedAt: T0 + 3, output: 'x', inputTokens: 4, outputTokens: 6 },
        { id: 3, outcome: 'error', endedAt: T0 + 3, category: 'RATE_LIMIT', message: '429', retryable: false, retryAt: T0 },
      ],
      'o',
    )
    // Job 4's lease expires with its process gone: a stall, a TIMEOUT attempt, and dead past the limit.
    store.recoverStalled({ now: T0 + 120_000, maxStalled: 0 })

    const expected = {
      'jobs_enqueued/sim//': 3,
      'jobs_enqueued/openai/gpt-x/': 1,
      'intake_jobs///csv': 2,
      'intake_jobs///txt': 1,
      'jobs_finished/sim//cancelled': 1,
      'jobs_finished/sim//completed': 1,
      'jobs_finished/openai/gpt-x/dead': 1,
      'jobs_finished/sim//dead': 1,
      'attempts/sim//none': 1,
      'attempts/openai/gpt-x/RATE_LIMIT': 1,
      'attempts/sim//TIMEOUT': 1,
    }
    expect(byKey(store)).toEqual(expected)
    const tokens = () => store.metrics.totals().usage.find((row) => row.provider === 'sim')
    expect(tokens()).toMatchObject({ inputTokens: 4, outputTokens: 6 })

    // Everything finished is pruned, and a year of rollup pruning passes: the day rows stay, the totals stand.
    for (const state of ['completed', 'dead', 'cancelled'] as const) store.clean(state, T0 + 365 * DAY)
    expect(store.stats(T0).counts.completed).toBe(0)
    store.costs.pruneRollups(T0 + 365 * DAY)
    expect(byKey(store)).toEqual(expected)
    expect(tokens()).toMatchObject({ inputTokens: 4, outputTokens: 6 })
  })

  it('are read without a look at the jobs: the day rows are one range of the rollups key', () => {
    const store = tempStore()
    const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${USAGE_TOTALS}`).all(DAY) as { detail: string }[]).map((row) => row.detail).join('\n')
    expect(plan).toMatch(/SEARCH usage_rollups USING PRIMARY KEY \(resolution=\?\)/)
    expect(plan).not.toMatch(/jobs/)
  })
})

describe('migration 0021_metric_totals', () => {
  it('starts the counters from what an older database holds, so none starts again at 0', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'metric_totals')
    expect(all[at]!.version).toBe(21)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    const insertJob = db.prepare(
      `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, provider, model, prompt, max_attempts) VALUES (?, ?, 1, 0, 0, 0, ?, ?, 'p', 3)`,
    )
    insertJob.run(1, 'completed', 'sim', null)
    insertJob.run(2, 'cancelled', 'sim', null)
    insertJob.run(3, 'dead', 'openai', 'gpt-x')
    insertJob.run(4, 'queued', 'openai', 'gpt-x')
    db.prepare(
      `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category, provider, model) VALUES (3, 1, 0, 1, 'error', 'AUTH', 'openai', 'gpt-x')`,
    ).run()
    // The rollups remember more than the jobs kept: 5 completed and 4 failures of gpt-x, 1 of them still an attempt row.
    const rollup = db.prepare(
      `INSERT INTO usage_rollups (resolution, bucket, provider, provider_kind, model, attempts, completed, failed, dead) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?)`,
    )
    rollup.run(DAY, 'openai', 'openai', 'gpt-x', 9, 5, 3, 1)
    rollup.run(DAY, '', '', '', 9, 5, 3, 1)
    rollup.run(60_000, 'openai', 'openai', 'gpt-x', 100, 100, 0, 0)
    migrate(db, all)
    const rows = db.prepare(`SELECT metric || '/' || provider || '/' || model || '/' || detail AS key, n FROM metric_totals ORDER BY key`).all()
    expect(Object.fromEntries((rows as { key: string; n: number }[]).map((row) => [row.key, row.n]))).toEqual({
      'jobs_enqueued/sim//': 2,
      'jobs_enqueued/openai/gpt-x/': 2,
      'jobs_finished/sim//completed': 1,
      'jobs_finished/sim//cancelled': 1,
      'jobs_finished/openai/gpt-x/dead': 1,
      'attempts/openai/gpt-x/none': 5,
      'attempts/openai/gpt-x/AUTH': 1,
      'attempts/openai/gpt-x/UNKNOWN': 3,
    })
    db.close()
  })
})

describe('the exporter lease', () => {
  it('has one holder; a standby takes it once it expires or is given up, and the old holder then holds nothing', () => {
    const store = tempStore()
    const lease = store.metrics
    expect(lease.takeExporterLease('a', T0, T0 + 30_000)).toBe(true)
    expect(lease.takeExporterLease('b', T0 + 1, T0 + 30_001)).toBe(false)
    // Renewed by its holder, it runs on.
    expect(lease.takeExporterLease('a', T0 + 10_000, T0 + 40_000)).toBe(true)
    expect(lease.takeExporterLease('b', T0 + 35_000, T0 + 65_000)).toBe(false)
    // The holder hung past its lease: the standby takes it, and the late renewal fails.
    expect(lease.takeExporterLease('b', T0 + 40_000, T0 + 70_000)).toBe(true)
    expect(lease.takeExporterLease('a', T0 + 41_000, T0 + 71_000)).toBe(false)
    // Giving up a lease one does not hold changes nothing; the holder's gives it to the next at once.
    lease.releaseExporterLease('a')
    expect(lease.takeExporterLease('a', T0 + 42_000, T0 + 72_000)).toBe(false)
    lease.releaseExporterLease('b')
    expect(lease.takeExporterLease('a', T0 + 43_000, T0 + 73_000)).toBe(true)
  })
})
