import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'

describe('migration 0012_fallbacks_and_auth_refunds', () => {
  it('upgrades a database with jobs and attempts in it: old attempts ran on their own provider, old jobs have no AUTH refunds', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'fallbacks_and_auth_refunds')
    expect(all[at]!.version).toBe(12)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    db.prepare(
      `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, provider, prompt, max_attempts) VALUES (1, 'queued', 1, 0, 0, 0, 'sim', 'p', 3)`,
    ).run()
    db.prepare(`INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome) VALUES (1, 1, 0, 1, 'ok')`).run()

    migrate(db, all)
    expect(db.prepare('SELECT ran_on FROM job_attempts').pluck().all()).toEqual([null])
    expect(db.prepare('SELECT auth_refunds FROM jobs').pluck().all()).toEqual([0])
    db.prepare(`INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, ran_on) VALUES (1, 2, 1, 2, 'ok', 'backup/model-b')`).run()
    expect(() => db.prepare('UPDATE jobs SET auth_refunds = -1').run()).toThrow(/CHECK/)
    db.close()
  })
})
