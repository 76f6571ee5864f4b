/**
 * Hostile (found so): a load on a team store waits, idle in its transaction, while the intake
 * thread parses the rest of a refused file. A server that ends idle sessions
 * (idle_in_transaction_session_timeout, common on managed PostgreSQL) or an administrator's
 * pg_terminate_backend then ended the connection between two statements, and the error the pool
 * no longer listened for ended the process ("Unhandled 'error' event"). The load now keeps its
 * session through such waits, and a connection ended anyway is told as the server said it.
 * And a statement cancelled by statement_timeout was told as "the server refused the
 * connection". A real PostgreSQL server, the real intake thread.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadPromptFiles } from '../../../src/main/intake/stream'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import type { JobDefaults } from '../../../src/shared/jobs'
import { genopsAsync } from '../../support/cli'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()
const DEFAULTS: JobDefaults = { provider: 'sim', priority: 'normal' }

const lines = (n: number, name: string) => Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `${name}: say ${i}, at some length.` })).join('\n')

/** A good file, then a long one refused at its second line: the load waits, idle, while the rest of it is parsed. */
function files(): string[] {
  const dir = tempDir()
  const good = join(dir, 'good.jsonl')
  const bad = join(dir, 'bad.jsonl')
  writeFileSync(good, lines(3_000, 'good'))
  writeFileSync(bad, ['{"prompt": 7}', lines(150_000, 'bad')].join('\n'))
  return [good, bad]
}

function poolOn(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  // The test's database is dropped as it ends, its sessions ended with it: an idle one's error is expected then.
  pool.on('error', () => undefined)
  onTestFinished(() => pool.end())
  return pool
}

async function storeOn(url: string): Promise<PostgresQueueStore> {
  const store = await PostgresQueueStore.open(url)
  onTestFinished(() => store.close())
  return store
}

describe.skipIf(!server)('a load on a team store whose session the server would end', () => {
  it('keeps its session through a wait on the parse longer than the server lets a session idle', async () => {
    const url = await server!.freshDatabase()
    // Migrated first; sessions opened after this are ended when idle in a transaction for 200 ms.
    await (await PostgresQueueStore.open(url)).close()
    const database = new URL(url).pathname.slice(1)
    await poolOn(url).query(`ALTER DATABASE "${database}" SET idle_in_transaction_session_timeout = '200ms'`)
    const store = await storeOn(url)
    const answer = await loadPromptFiles(store, files(), { defaults: DEFAULTS, profiles: new Map() })
    expect(answer.files.map((file) => [file.file, file.ok])).toEqual([
      ['good.jsonl', true],
      ['bad.jsonl', false],
    ])
    expect(answer.enqueued!.jobIds).toHaveLength(3_000)
    expect((await poolOn(url).query('SELECT count(*)::int AS n FROM jobs')).rows).toEqual([{ n: 3_000 }])
  }, 120_000)

  it('ended by an administrator while it waits, fails in the server’s words and leaves nothing, the process unharmed', async () => {
    const url = await server!.freshDatabase()
    const store = await storeOn(url)
    const admin = poolOn(url)
    // The load idle in its transaction for 200 ms: waiting on the parse of the refused file. Its session is ended then.
    let ended = 0
    const watch = setInterval(() => {
      if (ended > 0) return
      void admin
        .query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
            AND state = 'idle in transaction' AND now() - state_change > interval '200 milliseconds'`,
        )
        .then(({ rowCount }) => (ended += rowCount ?? 0))
    }, 50)
    onTestFinished(() => clearInterval(watch))
    const load = loadPromptFiles(store, files(), { defaults: DEFAULTS, profiles: new Map() })
    await expect(load).rejects.toThrow(/terminating connection due to administrator command/)
    clearInterval(watch)
    expect(ended).toBe(1)
    expect((await admin.query('SELECT (SELECT count(*) FROM jobs)::int AS jobs, (SELECT count(*) FROM batches)::int AS batches')).rows).toEqual([
      { jobs: 0, batches: 0 },
    ])
    // The store goes on: its next enqueue is served.
    const next = { prompt: 'after', provider: 'sim', model: null, priority: 0, runAt: 0, maxAttempts: 3, idempotencyKey: null, tags: null, config: null }
    await expect(store.enqueue([next], 'after', Date.now())).resolves.toMatchObject({ jobIds: [expect.any(Number)] })
  }, 120_000)
})

describe.skipIf(!server)('a statement cancelled by statement_timeout', () => {
  it('is told as the server said it, not as a refused connection', async () => {
    const url = await server!.freshDatabase()
    await (await PostgresQueueStore.open(url)).close()
    const database = new URL(url).pathname.slice(1)
    await poolOn(url).query(`ALTER DATABASE "${database}" SET statement_timeout = '30ms'`)
    const dir = tempDir()
    const file = join(dir, 'many.jsonl')
    writeFileSync(file, lines(20_000, 'many'))
    const run = await genopsAsync(['enqueue', file, '--store', url, '--data-dir', dir])
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/canceling statement due to statement timeout/)
    expect(run.stderr).not.toMatch(/refused the connection/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
  }, 120_000)
})
