/**
 * Triage data kept with each attempt: the severity its category declares, the stack of an
 * UNKNOWN error (redacted, trimmed), and the model it ran; migration 0013 on a real SQLite
 * file, and a real engine running simulator jobs through to the job detail and the
 * dead-letter list.
 */
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { ERROR_CATEGORIES, MAX_STACK_CHARS, errorStack, severityOf, type ErrorCategory } from '../../src/shared/errors'
import { REDACTED } from '../../src/shared/redact'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { createEngine, type Engine } from '../../src/main/engine'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { redactSecrets } from '../../src/workers/classify'
import runAttempt from '../../src/workers/attempt'
import { job, T0 } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
})

describe('migration 0013_triage', () => {
  it('gives every earlier failed attempt its category’s declared severity, and drops pending spells from the alert history', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'triage')
    expect(all[at]!.version).toBe(13)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    db.prepare(
      `INSERT INTO jobs (id, prompt, provider, priority, state, run_at, created_at, updated_at, max_attempts) VALUES (1, 'p', 'sim', 1, 'dead', 0, 0, 0, 1)`,
    ).run()
    const categories = Object.keys(ERROR_CATEGORIES) as ErrorCategory[]
    const attempt = db.prepare(`INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, error_category) VALUES (1, ?, 0, 1, ?, ?)`)
    categories.forEach((category, i) => attempt.run(i + 1, 'error', category))
    attempt.run(99, 'ok', null)
    const history = db.prepare(`INSERT INTO alert_history (name, severity, from_state, to_state, at, summary) VALUES ('A', 'warning', ?, ?, ?, 's')`)
    for (const [i, [from, to]] of [
      ['inactive', 'pending'],
      ['pending', 'resolved'],
      ['inactive', 'pending'],
      ['pending', 'firing'],
      ['firing', 'resolved'],
    ].entries())
      history.run(from, to, i)

    migrate(db, all)
    const rows = db.prepare('SELECT error_category AS category, error_severity AS severity FROM job_attempts ORDER BY number').all() as {
      category: string | null
      severity: string | null
    }[]
    // The migration's table of severities is the one src/shared/errors.ts declares.
    expect(rows).toEqual([...categories.map((category) => ({ category, severity: ERROR_CATEGORIES[category].severity })), { category: null, severity: null }])
    expect(db.prepare("SELECT from_state || ' -> ' || to_state FROM alert_history ORDER BY at").pluck().all()).toEqual([
      'pending -> firing',
      'firing -> resolved',
    ])
    expect(() => db.prepare(`UPDATE job_attempts SET error_severity = 'dire' WHERE number = 1`).run()).toThrow(/CHECK/)
    db.close()
  })
})

describe('severity on the store’s own attempts', () => {
  it('a stall is a TIMEOUT (warning), a cancel while running is CANCELLED (info)', () => {
    const store = SqliteQueueStore.open(join(tempDir(), 'genops.db'))
    try {
      const [stalled, cancelled] = store.enqueue([job('a'), job('b')], 'b', T0).jobIds as [number, number]
      store.claim({ owner: 'o', limit: 2, now: T0, leaseMs: 1000 })
      store.cancel(cancelled, T0 + 10)
      store.recoverStalled({ now: T0 + 5000, maxStalled: 3 })
      const severities = (id: number) => store.get(id, T0 + 6000)!.attempts.map((a) => [a.outcome, a.errorCategory, a.severity])
      expect(severities(stalled)).toEqual([['stalled', 'TIMEOUT', ERROR_CATEGORIES.TIMEOUT.severity]])
      expect(severities(cancelled)).toEqual([['cancelled', 'CANCELLED', 'info']])
    } finally {
      store.close()
    }
  })
})

describe('the stack of an UNKNOWN error', () => {
  it('is kept with its causes, masked before it is cut, and cut to a few KB', () => {
    const key = 'sk-live-0123456789abcdefghij'
    const cause = new Error(`socket said Authorization: Bearer ${key}`)
    const error = new Error('the SDK fell over', { cause })
    error.stack = `Error: the SDK fell over with ${key}\n${'    at deep (/app/node_modules/sdk/index.js:1:1)\n'.repeat(200)}`
    const stack = errorStack(error, redactSecrets)!
    expect(stack.length).toBeLessThanOrEqual(MAX_STACK_CHARS)
    expect(stack.startsWith(`Error: the SDK fell over with ${REDACTED}\n    at deep`)).toBe(true)
    expect(stack).not.toContain(key)
    expect(stack.endsWith('…')).toBe(true)

    const short = errorStack(new Error('outer', { cause }), redactSecrets)!
    expect(short).toContain('Caused by: Error: socket said Authorization: [REDACTED]')
    expect(short).not.toContain(key)
    expect(errorStack('a string thrown', redactSecrets)).toBeNull()
    expect(severityOf('UNKNOWN')).toBe('warning')
    expect(severityOf('NO_SUCH_CATEGORY')).toBeNull()
  })

  it('comes back from a worker for UNKNOWN failures only', async () => {
    const task = (failCategory: string) => ({
      id: 1,
      attempt: 1,
      provider: 'sim',
      model: null,
      prompt: 'p',
      config: { failAttempts: 1, failCategory },
      batchId: null,
      artifactsDir: null,
      channel: 'genops-test-triage',
    })
    const unknown = await runAttempt(task('UNKNOWN'))
    expect(unknown).toMatchObject({ ok: false, category: 'UNKNOWN', stack: expect.stringMatching(/^AttemptError: simulated UNKNOWN[\s\S]*\n\s+at /) })
    const timeout = await runAttempt(task('TIMEOUT'))
    expect(timeout).toMatchObject({ ok: false, category: 'TIMEOUT' })
    expect(timeout).not.toHaveProperty('stack')
  })
})

describe('triage data through a real engine', () => {
  it('stores severity, the UNKNOWN stack and the model ran, and shows them in the job detail and the dead-letter list', async () => {
    const engine = await createEngine({ dataDir: tempDir(), threads: 1, pollMs: 50, artifacts: false, backoff: { baseMs: 10, maxMs: 20 } })
    engines.push(engine)
    await engine.call('saveProvider', { name: 'mini', provider: 'sim', model: 'sim-mini' })
    const { jobIds } = await engine.call('enqueueJobs', {
      jobs: [
        { prompt: 'unknown', attempts: 1, config: { failAttempts: 1, failCategory: 'UNKNOWN' } },
        { prompt: 'model', attempts: 1, config: { failAttempts: 1, failCategory: 'MODEL' } },
        { prompt: 'profile default', provider: 'mini' },
      ],
    })
    const [unknown, model, viaProfile] = jobIds as [number, number, number]
    await waitFor(
      async () => (await engine.call('queueStats', {})).counts,
      (counts) => counts.dead === 2 && counts.completed === 1,
      { what: 'two dead jobs and one completed' },
    )

    const failed = (await engine.call('getJob', { id: unknown })).attempts
    expect(failed).toEqual([expect.objectContaining({ errorCategory: 'UNKNOWN', severity: 'warning', stack: expect.stringContaining('simulated UNKNOWN') })])
    expect(failed[0]!.stack!.length).toBeLessThanOrEqual(MAX_STACK_CHARS)
    expect((await engine.call('getJob', { id: model })).attempts).toEqual([
      expect.objectContaining({ errorCategory: 'MODEL', severity: 'critical', stack: null }),
    ])

    // The job named no model: its attempt records the profile's.
    const detail = await engine.call('getJob', { id: viaProfile })
    expect(detail.model).toBeNull()
    expect(detail.attempts).toEqual([expect.objectContaining({ outcome: 'ok', model: 'sim-mini', severity: null, stack: null })])

    const { jobs } = await engine.call('listDead', { limit: 50 })
    expect(jobs.map((job) => [job.id, job.errorCategory, job.severity]).sort()).toEqual(
      [
        [unknown, 'UNKNOWN', 'warning'],
        [model, 'MODEL', 'critical'],
      ].sort(),
    )
  })
})
