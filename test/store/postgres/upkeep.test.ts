/**
 * The upkeep of a store on a server (store/postgres/upkeep.ts): its one health check commits
 * on a live database and fails naming the URL (password masked) once the database is dropped
 * or nothing answers; its size is the database's; the server's errors are named with the URL.
 */
import { createServer } from 'node:net'
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { toNewJob } from '../../../src/main/queue/new-job'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { BackupsConfig } from '../../../src/main/store/sqlite/db/daily-backups'
import { StoreConnectError } from '../../../src/main/store/connect-error'
import { connectionConfig } from '../../../src/main/store/postgres/connect'
import { PostgresUpkeep } from '../../../src/main/store/postgres/upkeep'
import { ServerStoreError } from '../../../src/main/store/server-error'
import { postgresServer } from '../../support/postgres'

const server = await postgresServer()

/** A fresh database's URL with a password in it (trust auth ignores it), so masking shows. */
async function urlWithPassword(): Promise<string> {
  const url = new URL(await server!.freshDatabase())
  url.password = 'sekrit-pw'
  return url.toString()
}

async function openStore(url: string): Promise<PostgresQueueStore> {
  const store = await PostgresQueueStore.open(url)
  onTestFinished(() => store.close())
  return store
}

async function checkResults(upkeep: PostgresUpkeep) {
  return Promise.all(upkeep.healthChecks({}).map(async (check) => ({ name: check.name, critical: check.critical, ...(await check.check()) })))
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

describe.skipIf(!server)(`the upkeep of a store on ${server?.name ?? 'PostgreSQL'}`, () => {
  it('is named by its URL, password masked, has no data directory, and commits on a live database', async () => {
    const url = await urlWithPassword()
    const { upkeep } = await openStore(url)
    const shown = url.replace('sekrit-pw', '***')
    expect(upkeep.name).toBe(shown)
    expect(upkeep.dataDir).toBeNull()
    // Only the commit probe: no disk or integrity check, those are the server's.
    expect(await checkResults(upkeep as PostgresUpkeep)).toEqual([{ name: 'database', critical: true, status: 'pass', detail: `${shown} takes writes` }])
    await upkeep.commitProbe()
    expect(await upkeep.sizeBytes()).toBeGreaterThan(1_000_000)
    // The probes leave nothing behind.
    const client = new pg.Client(url)
    await client.connect()
    const { rows } = await client.query(`SELECT key FROM queue_settings WHERE key = 'health_probe'`)
    await client.end()
    expect(rows).toEqual([])
  })

  it('fails the check while writes are refused, saying why', async () => {
    const { upkeep } = await openStore(await urlWithPassword())
    const [check] = upkeep.healthChecks({ writesRefused: () => 'the disk is full' })
    expect(await check!.check()).toEqual({ status: 'fail', detail: `cannot commit to ${upkeep.name}: the disk is full` })
  })

  it('fails naming the URL once the database is dropped, and names the error it meets', async () => {
    const url = await urlWithPassword()
    const { upkeep } = await openStore(url)
    const admin = new pg.Client(server!.urlFor('postgres'))
    await admin.connect()
    await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)} WITH (FORCE)`)
    await admin.end()
    const [result] = await checkResults(upkeep as PostgresUpkeep)
    expect(result).toMatchObject({ name: 'database', status: 'fail' })
    expect(result!.detail).toContain(`cannot write to ${upkeep.name}: the database`)
    expect(result!.detail).toContain('does not exist')
    expect(result!.detail).not.toContain('sekrit-pw')
    const error = await rejection(Promise.resolve(upkeep.sizeBytes()))
    const named = upkeep.namedDamage(error)
    expect(named).toBeInstanceOf(StoreConnectError)
    expect((named as StoreConnectError).code).toBe('NO_DATABASE')
    expect((named as Error).message.startsWith(upkeep.name)).toBe(true)
    await expect(Promise.resolve(upkeep.commitProbe())).rejects.toThrow()
  })

  it('fails naming the URL when no server answers there', async () => {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as { port: number }
    await new Promise((resolve) => probe.close(resolve))
    const url = `postgres://team:sekrit-pw@127.0.0.1:${port}/genops`
    const pool = new pg.Pool(connectionConfig(url))
    onTestFinished(() => pool.end())
    const upkeep = new PostgresUpkeep(pool, url)
    const [result] = await checkResults(upkeep)
    expect(result).toMatchObject({ name: 'database', status: 'fail' })
    expect(result!.detail).toContain(`cannot write to postgres://team:***@127.0.0.1:${port}/genops: no PostgreSQL server answers there`)
    expect(result!.detail).not.toContain('sekrit-pw')
  })

  it("names the server's other errors with the URL, keeping their code, and leaves anything else as it was", async () => {
    const url = await urlWithPassword()
    const { upkeep } = await openStore(url)
    const client = new pg.Client(url)
    await client.connect()
    const error = await rejection(client.query('SELECT * FROM no_such_table'))
    await client.end()
    const named = upkeep.namedDamage(error)
    expect(named).toBeInstanceOf(ServerStoreError)
    expect(named).toMatchObject({ code: '42P01', message: `${upkeep.name}: relation "no_such_table" does not exist` })
    const own = new Error('not the store')
    expect(upkeep.namedDamage(own)).toBe(own)
  })

  it('counts the due jobs a gate holds, and none while no gate holds any', async () => {
    const store = await openStore(await urlWithPassword())
    const now = Date.now()
    await store.enqueue([toNewJob({ prompt: 'a', provider: 'sim' }, {}, now), toNewJob({ prompt: 'b', provider: 'sim', model: 'slow' }, {}, now)], 'held', now)
    const holding = { holdingAny: () => true }
    expect(await store.upkeep.heldJobs(holding, 2, (track) => track.model === 'slow')).toBe(1)
    expect(await store.upkeep.heldJobs(holding, 2, () => true)).toBe(2)
    expect(await store.upkeep.heldJobs({ holdingAny: () => false }, 2, () => true)).toBe(0)
  })

  it('starts nothing beside the engine: no checkpoints, no backups, a sound start-up check that notes damage met later', async () => {
    const { upkeep } = await openStore(await urlWithPassword())
    const running = upkeep.start({ onWriteFailure: () => undefined, log: { info: () => undefined, warn: () => undefined } }, { checkpointMs: 10 })
    expect(await running.integrity.done).toMatchObject({ state: 'sound' })
    running.integrity.noteDamage('index "jobs_ready" contains unexpected zero page')
    expect(running.integrity.current()).toMatchObject({ state: 'damaged', problems: ['index "jobs_ready" contains unexpected zero page'] })
    await running.startBackups(BackupsConfig.parse({}), { dir: '/nonexistent', freeDiskBytes: () => 0, minFreeDiskBytes: 0 }).stop()
    await running.stop()
  })
})
