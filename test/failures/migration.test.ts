import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { listDead } from '../../src/main/store/sqlite/queue/dead'

describe('migration 0006_failures', () => {
  it('upgrades a database with dead jobs in it: the tables, and the indexes the dead-letter filters search', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'failures')
    expect(all[at]!.version).toBe(6)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    db.prepare(`INSERT INTO batches (id, name, created_at) VALUES (1, 'old', 0)`).run()
    db.prepare(
      `INSERT INTO jobs (state, priority, run_at, created_at, updated_at, finished_at, batch_id, provider, prompt, max_attempts, attempts_made, error_category, last_error)
      VALUES ('dead', 1, 0, 0, 0, 5, 1, 'sim', 'before the upgrade', 3, 3, 'TIMEOUT', 'timed out')`,
    ).run()

    expect(migrate(db, all)).toEqual(all.slice(at).map((m) => m.version))
    const names = (type: string) => db.prepare(`SELECT name FROM sqlite_schema WHERE type = ? ORDER BY name`).pluck().all(type)
    expect(names('table')).toEqual(expect.arrayContaining(['failure_groups', 'regression_cases']))
    expect(names('index')).toEqual(
      expect.arrayContaining(['failure_groups_by_last_seen', 'regression_cases_by_fingerprint', 'jobs_dead_by_category', 'jobs_dead_by_provider']),
    )
    expect(listDead(db, { category: 'TIMEOUT', limit: 10 }, 10).map((j) => [j.promptPreview, j.errorCategory])).toEqual([['before the upgrade', 'TIMEOUT']])
    db.close()
  })
})
