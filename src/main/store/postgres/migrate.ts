/**
 * The PostgreSQL store's own numbered migrations (migrations/ beside this file), applied in
 * order and recorded in genops_migrations. Several engines may start on one database at
 * once: each migration runs in its own transaction under an advisory lock, so one applies it
 * and the others find it applied; a failing one leaves nothing behind. A database that has
 * migrations this build does not know was written by a newer GenOps and is refused.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { loadMigrations, SchemaError, type Migration } from '../sqlite/db/migrate'
import { maskUrl } from './connect'
import { inTransaction } from './transaction'

/** Beside this module in the source tree; in the build, beside the bundle under a name of their own (SQLite's are `migrations/` there). */
export const POSTGRES_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), import.meta.url.endsWith('.ts') ? 'migrations' : 'postgres-migrations')

/** The advisory lock's key: "genopm" (migrations) in ASCII, so no other application on the server is likely to take it, nor the gated claim's. */
const MIGRATION_LOCK = 0x67656e6f706d

export function loadPostgresMigrations(dir = POSTGRES_MIGRATIONS_DIR): Migration[] {
  return loadMigrations(dir)
}

/**
 * Applies what is missing; returns the versions this call applied. `url` only names the
 * database in errors (its password masked).
 */
export async function migratePostgres(pool: pg.Pool, url: string, migrations: Migration[] = loadPostgresMigrations()): Promise<number[]> {
  const applied: number[] = []
  for (;;) {
    const next = await inTransaction(pool, async (client) => {
      // Held to the end of this transaction: a second engine waits here, then finds the migration applied.
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      await client.query(`CREATE TABLE IF NOT EXISTS genops_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`)
      const { rows } = await client.query<{ version: number; name: string }>('SELECT version, name FROM genops_migrations ORDER BY version')
      checkInStep(rows, migrations, url)
      const done = new Set(rows.map((row) => row.version))
      const migration = migrations.find((m) => !done.has(m.version))
      if (!migration) return null
      await client.query(migration.sql)
      await client.query('INSERT INTO genops_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()])
      return migration.version
    })
    if (next === null) return applied
    applied.push(next)
  }
}

function checkInStep(rows: { version: number; name: string }[], migrations: Migration[], url: string): void {
  const known = new Map(migrations.map((m) => [m.version, m]))
  for (const row of rows) {
    const mine = known.get(row.version)
    if (!mine) {
      const newest = migrations.at(-1)?.version ?? 0
      throw new SchemaError(
        `${maskUrl(url)}: this database was written by a newer GenOps (schema version ${row.version}; this build knows up to ${newest}): ` +
          'update GenOps, or give this one another database',
      )
    }
    if (mine.name !== row.name) {
      throw new SchemaError(
        `${maskUrl(url)}: schema version ${row.version} is "${row.name}" in the database but "${mine.name}" in this build: the database is out of step; give this GenOps another database`,
      )
    }
  }
}
