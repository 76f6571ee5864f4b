import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { queuedTracks } from '../../src/main/store/sqlite/queue/tracks'

describe('migration 0005_resilience', () => {
  it('upgrades a database with queued jobs in it: their tracks are found, batches take caps, breaker events and pauses have tables', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'resilience')
    expect(all[at]!.version).toBe(5)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    db.prepare(`INSERT INTO batches (id, name, created_at) VALUES (1, 'old', 0)`).run()
    const insert = db.prepare(
      `INSERT INTO jobs (state, priority, run_at, created_at, updated_at, batch_id, provider, model, prompt, max_attempts) VALUES ('queued', 1, 0, 0, 0, ?, ?, ?, 'p', 3)`,
    )
    insert.run(1, 'sim', null)
    insert.run(null, 'openai', 'gpt-4o')

    migrate(db, all)
    expect(queuedTracks(db)).toEqual([
      ['openai', 'gpt-4o', 0],
      ['sim', '', 1],
    ])
    db.prepare('UPDATE batches SET max_concurrency = 2 WHERE id = 1').run()
    expect(() => db.prepare('UPDATE batches SET max_concurrency = 0 WHERE id = 1').run()).toThrow(/CHECK/)
    db.prepare(`INSERT INTO provider_pauses (provider, reason, paused_at) VALUES ('sim', 'test', 0)`).run()
    db.prepare(`INSERT INTO breaker_events (breaker, at, from_state, to_state, owner) VALUES ('sim', 0, 'closed', 'open', 'me')`).run()
    expect(() => db.prepare(`INSERT INTO breaker_events (breaker, at, from_state, to_state, owner) VALUES ('sim', 0, 'closed', 'ajar', 'me')`).run()).toThrow(
      /CHECK/,
    )
    db.close()
  })
})
