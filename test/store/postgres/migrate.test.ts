/** The PostgreSQL store's migrations: from an empty database and from the queue core's (0001) with jobs in it, by two engines at once, never half-applied, and a newer database refused. */
import type pg from 'pg'
import { describe, expect, it } from 'vitest'
import { SchemaError } from '../../../src/main/store/sqlite/db/migrate'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { openPool } from '../../../src/main/store/postgres/connect'
import { loadPostgresMigrations, migratePostgres } from '../../../src/main/store/postgres/migrate'
import { postgresServer } from '../../support/postgres'
import { toNewJob } from '../../../src/main/queue/new-job'

const server = await postgresServer()

/** A job as the store takes it: a plain sim job due now. */
const claimedJobSpec = () => toNewJob({ prompt: 'x' }, { provider: 'sim' }, 10)

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

  it('upgrades a queue core database (0001) with jobs in it: every job kept, counted and claimable, batch counts made', async () => {
    const url = await server!.freshDatabase()
    const [core] = loadPostgresMigrations()
    await withPool(url, async (pool) => {
      expect(await migratePostgres(pool, url, [core!])).toEqual([1])
      // Rows as the queue core wrote them: a batch of three, one finished, and the counts it kept.
      await pool.query(`INSERT INTO batches (id, name, created_at, job_count) VALUES (1, 'old', 1, 3)`)
      await pool.query(`INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, batch_id, provider, prompt, max_attempts, finished_at)
        VALUES (1, 'queued', 1, 1, 1, 1, 1, 'sim', 'a', 3, NULL), (2, 'queued', 1, 1, 1, 1, 1, 'sim', 'b', 3, NULL), (3, 'completed', 1, 1, 1, 2, 1, 'sim', 'c', 3, 2)`)
      await pool.query(`INSERT INTO job_counts (state, shard, n) VALUES ('queued', 0, 2), ('completed', 0, 1)`)
      await pool.query(`SELECT setval('jobs_id_seq', 3), setval(pg_get_serial_sequence('batches', 'id'), 1)`)
    })
    const store = await PostgresQueueStore.open(url)
    try {
      expect((await store.stats(10)).counts).toMatchObject({ queued: 2, completed: 1 })
      const claimed = await store.claim({ owner: 'h:1:o', limit: 10, now: 10, leaseMs: 1000 })
      expect(claimed.jobs.map((job) => job.id).sort()).toEqual([1, 2])
      expect((await store.get(3, 10))?.state).toBe('completed')
      const batch = await store.batches.get(1, 10)
      expect(batch?.counts).toMatchObject({ queued: 0, active: 2, completed: 1 })
      expect((await store.enqueue([{ ...claimedJobSpec(), prompt: 'new' }], 'after', 10)).addedIds).toEqual([4])
    } finally {
      await store.close()
    }
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
