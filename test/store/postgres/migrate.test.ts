/** The PostgreSQL store's migrations: from an empty database, by two engines at once, never half-applied, and a newer database refused. */
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { SchemaError } from '../../../src/main/store/sqlite/db/migrate'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { openPool } from '../../../src/main/store/postgres/connect'
import { loadPostgresMigrations, migratePostgres } from '../../../src/main/store/postgres/migrate'
import { postgresServer } from '../../support/postgres'

const server = await postgresServer()

async function withPool<T>(url: string, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = await openPool(url)
  try {
    return await work(pool)
  } finally {
    await pool.end()
  }
}

describe.skipIf(!server)('PostgreSQL migrations', () => {
  it('brings an empty database to the newest schema once, even with two engines starting together', async () => {
    const url = await server!.freshDatabase()
    const migrations = loadPostgresMigrations()
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1))
    const applied = await Promise.all([withPool(url, (pool) => migratePostgres(pool, url)), withPool(url, (pool) => migratePostgres(pool, url))])
    expect(applied.flat().sort()).toEqual(migrations.map((m) => m.version))
    await withPool(url, async (pool) => {
      expect(await migratePostgres(pool, url)).toEqual([])
      const { rows } = await pool.query<{ version: number; name: string }>('SELECT version, name FROM genops_migrations ORDER BY version')
      expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })))
      const { rows: tables } = await pool.query<{ n: number }>(
        `SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('jobs', 'batches', 'job_events', 'job_attempts', 'job_counts', 'queue_settings')`,
      )
      expect(tables[0]!.n).toBe(6)
    })
  })

  it('leaves nothing of a migration that fails part way', async () => {
    const url = await server!.freshDatabase()
    const broken = [...loadPostgresMigrations(), { version: 99, name: 'broken', sql: 'CREATE TABLE half_done (id integer); SELECT no_such_column FROM jobs;' }]
    await withPool(url, async (pool) => {
      await expect(migratePostgres(pool, url, broken)).rejects.toThrow(/no_such_column/)
      const { rows } = await pool.query<{ version: number }>('SELECT version FROM genops_migrations ORDER BY version')
      expect(rows.map((r) => r.version)).toEqual(loadPostgresMigrations().map((m) => m.version))
      const { rows: half } = await pool.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`)
      expect(half).toEqual([])
    })
  })

  it('refuses a database a newer GenOps migrated, in one line naming it with the password masked', async () => {
    const url = await server!.freshDatabase()
    await (await PostgresQueueStore.open(url)).close()
    await withPool(url, (pool) => pool.query(`INSERT INTO genops_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 0)`))
    // With a password in the URL (a trust server takes any), to see it masked.
    const withPassword = new URL(url)
    withPassword.password ||= 'sekrit-pw'
    const error = await PostgresQueueStore.open(withPassword.toString()).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(SchemaError)
    const message = (error as Error).message
    expect(message).toMatch(/: this database was written by a newer GenOps \(schema version 9999; this build knows up to \d+\): update GenOps/)
    expect(message).not.toContain(withPassword.password)
    expect(message).toContain(`postgres://postgres:***@${withPassword.host}`)
    expect(message.split('\n')).toHaveLength(1)
    // The refused database is as it was: no table dropped, no row added.
    await withPool(url, async (pool) => {
      const { rows } = await pool.query<{ version: number }>('SELECT max(version) AS version FROM genops_migrations')
      expect(rows[0]!.version).toBe(9999)
    })
  })
})
