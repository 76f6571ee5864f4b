import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/main/store/sqlite/db/connection'
import { loadMigrations, migrate, SchemaError } from '../../src/main/store/sqlite/db/migrate'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'

describe('migrations', () => {
  it('upgrades a fresh database through every migration and records each once', () => {
    const file = join(tempDir(), 'genops.db')
    const db = openDatabase(file)
    const versions = loadMigrations().map((m) => m.version)
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(versions)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
    // Opening again applies nothing new.
    const again = new Sqlite(file)
    expect(migrate(again)).toEqual([])
    again.close()
  })

  it('lets two processes open a new data directory at once: the second finds each migration applied and skips it', { timeout: 60_000 }, async () => {
    for (let round = 0; round < 6; round++) {
      const dataDir = tempDir()
      const both = await Promise.all([genopsAsync(['queue', 'stats', '--data-dir', dataDir]), genopsAsync(['costs', 'budget', 'list', '--data-dir', dataDir])])
      expect(both.map(({ status, stderr }) => ({ status, stderr }))).toEqual([
        { status: 0, stderr: '' },
        { status: 0, stderr: '' },
      ])
    }
  })

  it('upgrades a database at each earlier version to the latest', () => {
    const all = loadMigrations()
    for (let upTo = 1; upTo <= all.length; upTo++) {
      const db = new Sqlite(':memory:')
      expect(migrate(db, all.slice(0, upTo))).toEqual(all.slice(0, upTo).map((m) => m.version))
      expect(migrate(db, all)).toEqual(all.slice(upTo).map((m) => m.version))
      db.close()
    }
  })

  it('refuses a database written by a newer GenOps, saying so', () => {
    const file = join(tempDir(), 'genops.db')
    openDatabase(file).close()
    const db = new Sqlite(file)
    db.prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 0)`).run()
    db.close()
    expect(() => openDatabase(file)).toThrow(SchemaError)
    expect(() => openDatabase(file)).toThrow(/written by a newer GenOps \(schema version 9999/)
  })

  it('refuses a database whose migration history is out of step with this build', () => {
    const db = new Sqlite(':memory:')
    migrate(db)
    db.prepare(`UPDATE schema_migrations SET name = 'something_else' WHERE version = 1`).run()
    expect(() => migrate(db)).toThrow(/out of step/)
  })

  it('rejects a migration file that is not named NNNN_name.sql', () => {
    const dir = tempDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'init.sql'), 'SELECT 1')
    expect(() => loadMigrations(dir)).toThrow(/NNNN_name.sql/)
  })
})
