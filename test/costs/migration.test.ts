import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { pausedBatches } from '../../src/main/store/sqlite/queue/batch-pauses'

describe('migration 0007_costs', () => {
  it('upgrades a database with attempts in it: old attempts keep no cost, batches start at nothing spent, budgets check their shape', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'costs')
    expect(all[at]!.version).toBe(7)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    db.prepare(`INSERT INTO batches (id, name, created_at) VALUES (1, 'old', 0)`).run()
    db.prepare(
      `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, batch_id, provider, model, prompt, max_attempts) VALUES (1, 'completed', 1, 0, 0, 0, 1, 'openai', 'gpt-4o', 'p', 3)`,
    ).run()
    db.prepare(`INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, input_tokens, output_tokens) VALUES (1, 1, 0, 10, 'ok', 5, 6)`).run()

    migrate(
      db,
      all.filter((m) => m.version < 20),
    )
    expect(db.prepare('SELECT provider, provider_kind, model, cost_usd, input_tokens FROM job_attempts').get()).toEqual({
      provider: null,
      provider_kind: null,
      model: null,
      cost_usd: null,
      input_tokens: 5,
    })
    expect(db.prepare('SELECT attempts, input_tokens, output_tokens, cost_usd, unpriced_attempts, settled_at, paused_at FROM batches').get()).toEqual({
      attempts: 0,
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: 0,
      unpriced_attempts: 0,
      settled_at: null,
      paused_at: null,
    })
    expect(pausedBatches(db)).toEqual([])

    const budget = db.prepare('INSERT INTO budgets (scope, batch_id, limit_usd, action, created_at) VALUES (?, ?, ?, ?, 0)')
    budget.run('day', null, 5, 'pause')
    expect(() => budget.run('day', null, 6, 'alert')).toThrow(/UNIQUE/)
    expect(() => budget.run('day', 1, 6, 'alert')).toThrow(/CHECK/)
    expect(() => budget.run('batch', null, 6, 'alert')).toThrow(/CHECK/)
    expect(() => budget.run('batch', 1, 0, 'alert')).toThrow(/CHECK/)
    expect(() => budget.run('batch', 1, 1, 'shout')).toThrow(/CHECK/)
    budget.run('batch', 1, 1, 'alert')
    expect(() => db.prepare(`INSERT INTO price_overrides VALUES ('openai', 'x', -1, 1, 0)`).run()).toThrow(/CHECK/)

    // 0020 keeps them as USD budgets, and takes tokens, providers and profiles.
    migrate(db, all)
    expect(db.prepare('SELECT scope, batch_id, target, unit, limit_value, action, notified_pct FROM budgets ORDER BY id').all()).toEqual([
      { scope: 'day', batch_id: null, target: '', unit: 'usd', limit_value: 5, action: 'pause', notified_pct: 0 },
      { scope: 'batch', batch_id: 1, target: '', unit: 'usd', limit_value: 1, action: 'alert', notified_pct: 0 },
    ])
    const next = db.prepare('INSERT INTO budgets (scope, batch_id, target, unit, limit_value, action, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)')
    next.run('day', null, '', 'tokens', 1000, 'pause')
    next.run('profile', null, 'work', 'usd', 2, 'alert')
    expect(() => next.run('profile', null, '', 'usd', 2, 'alert')).toThrow(/CHECK/)
    expect(() => next.run('day', null, 'work', 'usd', 2, 'alert')).toThrow(/CHECK/)
    expect(() => next.run('provider', null, 'openai', 'credits', 2, 'alert')).toThrow(/CHECK/)
    expect(() => next.run('profile', null, 'work', 'usd', 3, 'pause')).toThrow(/UNIQUE/)
    db.close()
  })
})

describe('migration 0011_tag_rollups', () => {
  it("fills the tag rollups from the attempts still kept, each tag of a job counted, a job with none or a damaged value as '(no tag)'", () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'tag_rollups')
    expect(all[at]!.version).toBe(11)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    const job = db.prepare(
      `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, provider, prompt, max_attempts, tags) VALUES (?, 'completed', 1, 0, 0, 0, 'sim', 'p', 3, ?)`,
    )
    job.run(1, '["nightly","eval"]')
    job.run(2, null)
    job.run(3, '{not json')
    const attempt = db.prepare(
      `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, input_tokens, output_tokens, cost_usd) VALUES (?, 1, 0, ?, ?, ?, ?, ?)`,
    )
    const HOUR = 3_600_000
    attempt.run(1, HOUR + 5, 'ok', 10, 20, 0.5)
    attempt.run(2, HOUR + 6, 'error', null, null, 0)
    attempt.run(3, 2 * HOUR + 1, 'ok', 1, 2, null)

    migrate(db, all)
    const rows = db
      .prepare('SELECT resolution, bucket, tag, attempts, input_tokens, cost_usd, unpriced FROM tag_rollups ORDER BY resolution, bucket, tag')
      .raw()
      .all()
    expect(rows).toEqual([
      [HOUR, HOUR, '(no tag)', 1, 0, 0, 0],
      [HOUR, HOUR, 'eval', 1, 10, 0.5, 0],
      [HOUR, HOUR, 'nightly', 1, 10, 0.5, 0],
      [HOUR, 2 * HOUR, '(no tag)', 1, 1, 0, 1],
      [24 * HOUR, 0, '(no tag)', 2, 1, 0, 1],
      [24 * HOUR, 0, 'eval', 1, 10, 0.5, 0],
      [24 * HOUR, 0, 'nightly', 1, 10, 0.5, 0],
    ])
    expect(db.prepare(`SELECT count(*) FROM sqlite_master WHERE name = 'job_attempts_by_end'`).pluck().get()).toBe(0)
    db.close()
  })
})
