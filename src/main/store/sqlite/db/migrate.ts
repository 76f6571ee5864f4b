/**
 * Numbered, append-only SQL migrations, applied in order when the database opens and
 * recorded in `schema_migrations`. A database that has migrations this build does not
 * know was written by a newer GenOps: it is refused, never guessed at.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Database } from 'better-sqlite3'

export interface Migration {
  version: number
  name: string
  sql: string
}

/** Beside this module in the source tree; beside the bundle in a build (copied by electron.vite.config.ts). */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations')

export class SchemaError extends Error {
  override name = 'SchemaError'
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file)
      if (!match) throw new SchemaError(`${join(dir, file)}: a migration is named NNNN_name.sql`)
      return { version: Number(match[1]), name: match[2]!, sql: readFileSync(join(dir, file), 'utf8') }
    })
}

/** Applies what is missing, each migration in its own transaction; returns the versions applied. */
export function migrate(db: Database, migrations: Migration[] = loadMigrations()): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
  const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as {
    version: number
    name: string
  }[]
  const known = new Map(migrations.map((m) => [m.version, m]))
  for (const row of applied) {
    const mine = known.get(row.version)
    if (!mine) {
      const newest = migrations.at(-1)?.version ?? 0
      throw new SchemaError(
        `this database was written by a newer GenOps (schema version ${row.version}; this build knows up to ${newest}): ` +
          'update GenOps or choose another data directory',
      )
    }
    if (mine.name !== row.name) {
      throw new SchemaError(`schema version ${row.version} is "${row.name}" in the database but "${mine.name}" in this build: the database is out of step`)
    }
  }
  const done = new Set(applied.map((row) => row.version))
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
  const appliedMeanwhile = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?')
  const newlyApplied: number[] = []
  for (const migration of migrations) {
    if (done.has(migration.version)) continue
    // Foreign keys off while a migration runs (they cannot change inside its transaction): a migration that rebuilds a
    // table (SQLite's documented twelve steps, as 0024 does for jobs) would otherwise cascade its DROP into the child rows.
    // The keys are checked before it commits instead.
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1
    if (foreignKeys) db.pragma('foreign_keys = OFF')
    // Two processes opening a new (or older) database at once: the one that takes the write lock second finds it applied, and skips it.
    let applied: boolean
    try {
      applied = db
        .transaction(() => {
          if (appliedMeanwhile.get(migration.version)) return false
          db.exec(migration.sql)
          const broken = db.pragma('foreign_key_check') as unknown[]
          if (broken.length > 0)
            throw new SchemaError(`migration ${migration.version} (${migration.name}) would leave ${broken.length} rows with broken foreign keys`)
          record.run(migration.version, migration.name, Date.now())
          return true
        })
        .immediate()
    } finally {
      if (foreignKeys) db.pragma('foreign_keys = ON')
    }
    if (applied) newlyApplied.push(migration.version)
  }
  return newlyApplied
}
