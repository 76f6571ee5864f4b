/**
 * The cache from the command line and in the store: `genops cache stats|clear`, the size
 * line of `settings list`, `settings set cache.enabled`, `enqueue --no-cache`; and migration
 * 0022 on a database that already holds attempts.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { CacheWrites } from '../../src/main/store/sqlite/cache-settle'
import { fromText, settingSpec } from '../../src/main/settings/catalogue'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'

const DAY = 86_400_000

/** A data directory whose cache holds an answer made 40 days ago and one made now. */
function cacheWithTwoEntries(): string {
  const dir = tempDir()
  const store = SqliteQueueStore.open(databaseFile(dir))
  try {
    store.db.transaction(() => {
      const writes = new CacheWrites(store.db)
      const answer = { jobId: 1, kind: 'sim', model: null, inputTokens: 3, outputTokens: 4, costUsd: 0 }
      writes.note({ key: 'a'.repeat(64), made: true }, { ...answer, output: 'old answer', at: Date.now() - 40 * DAY })
      writes.note({ key: 'b'.repeat(64), made: true }, { ...answer, output: 'new answer', at: Date.now() })
      writes.note({ key: 'b'.repeat(64), hit: true, savedUsd: 0.25 }, { ...answer, output: 'new answer', at: Date.now() })
      writes.flush()
    })()
    expect(store.cache.find(['b'.repeat(64), 'c'.repeat(64)]).get('b'.repeat(64))).toMatchObject({ output: 'new answer', inputTokens: 3 })
  } finally {
    store.close()
  }
  return dir
}

describe('genops cache', () => {
  // Each command is a process of its own, as an operator runs it: slow on a busy machine.
  it('shows the size, clears what is older than asked, then everything, and never goes below nothing', { timeout: 120_000 }, () => {
    const dir = cacheWithTwoEntries()
    const stats = genops(['cache', 'stats', '--data-dir', dir, '--json'])
    expect(stats.stderr).toBe('')
    expect(JSON.parse(stats.stdout)).toMatchObject({ entries: 2, bytes: 20, hits: 1, savedUsd: 0.25 })
    expect(genops(['settings', 'list', '--data-dir', dir]).stdout).toMatch(/response cache: 2 entries, 20 B, oldest .*; 1 hits saved \$0\.250000/)
    expect(genops(['cache', 'clear', '--older-than', '30d', '--data-dir', dir]).stdout).toBe('removed 1 cached answer (10 B)\n')
    expect(genops(['cache', 'clear', '--data-dir', dir]).stdout).toBe('removed 1 cached answer (10 B)\n')
    const store = SqliteQueueStore.open(databaseFile(dir))
    try {
      // What the hits saved stays counted: a clear removes answers, not history.
      expect(store.cache.stats()).toEqual({ entries: 0, bytes: 0, hits: 1, savedUsd: 0.25, oldestAt: null })
    } finally {
      store.close()
    }
  })

  it('sets the queue’s default in the store, and enqueue --no-cache opts every job of the call out', { timeout: 120_000 }, () => {
    const dir = tempDir()
    const spec = settingSpec('cache.enabled')
    expect(() => fromText(spec, 'maybe', spec.key)).toThrow('cache.enabled must be true or false, not "maybe"')
    expect(genops(['settings', 'set', 'cache.enabled', 'off', '--data-dir', dir]).status).toBe(0)
    const file = join(dir, 'prompts.jsonl')
    writeFileSync(file, '{"prompt": "a", "config": {"cache": true}}\n{"prompt": "b"}\n')
    expect(genops(['enqueue', file, '--no-cache', '--data-dir', dir]).status).toBe(0)
    const db = new Sqlite(databaseFile(dir), { readonly: true })
    try {
      expect(db.prepare(`SELECT value FROM queue_settings WHERE key = 'setting:cache.enabled'`).pluck().get()).toBe('false')
      expect(
        db
          .prepare('SELECT config FROM jobs ORDER BY id')
          .pluck()
          .all()
          .map((text) => JSON.parse(text as string)),
      ).toEqual([{ cache: false }, { cache: false }])
    } finally {
      db.close()
    }
  })
})

describe('migration 0022_response_cache', () => {
  it('upgrades a database with attempts in it: old attempts were not cached, and the cache starts empty', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'response_cache')
    expect(all[at]!.version).toBe(22)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    db.prepare(
      `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, provider, prompt, max_attempts) VALUES (1, 'completed', 1, 0, 0, 0, 'sim', 'p', 3)`,
    ).run()
    db.prepare(`INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome) VALUES (1, 1, 0, 10, 'ok')`).run()
    migrate(db, all.slice(0, at + 1))
    expect(db.prepare('SELECT cached, saved_usd FROM job_attempts').get()).toEqual({ cached: 0, saved_usd: null })
    expect(db.prepare('SELECT entries, bytes, hits, saved_usd FROM response_cache_totals').get()).toEqual({ entries: 0, bytes: 0, hits: 0, saved_usd: 0 })
    expect(() => db.prepare('INSERT INTO response_cache_totals (id) VALUES (2)').run()).toThrow(/CHECK/)
    const plan = db.prepare(`EXPLAIN QUERY PLAN DELETE FROM response_cache WHERE created_at < 5`).all() as { detail: string }[]
    expect(plan.map((step) => step.detail).join('\n')).toMatch(/response_cache_by_created/)
  })
})
