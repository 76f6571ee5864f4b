/** Each standard check against the real thing it watches, passing and failing. */
import { statfsSync } from 'node:fs'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/main/store/sqlite/db/connection'
import { databaseWritable, eventLoopLag, exporterListening, freeDisk, queueRunning, workerPoolAlive, type ListeningState } from '../../src/main/health/checks'
import { HealthRegistry, type HealthCheck } from '../../src/main/health/registry'
import { standaloneHealth } from '../../src/main/health/standalone'
import { createHandlers } from '../../src/main/operations'
import { WORKER_FILE } from '../../src/main/paths'
import { AttemptPool } from '../../src/main/queue/pool'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempDir } from '../support/temp'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const run = async (check: HealthCheck) => check.check()

function database(): { file: string; db: Sqlite.Database } {
  const file = join(tempDir(), 'genops.db')
  const db = openDatabase(file)
  cleanups.push(() => db.close())
  return { file, db }
}

/** Blocks the main thread, as a long synchronous task would. */
function block(ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) {
    // busy on purpose
  }
}
const nextTimers = () => new Promise((resolve) => setTimeout(resolve, 30))

describe('the database check', () => {
  it('passes when the database takes a write, and leaves nothing behind', async () => {
    const { db } = database()
    expect(await run(databaseWritable(db))).toEqual({ status: 'pass', detail: `${db.name} takes writes` })
    expect(db.prepare(`SELECT count(*) FROM queue_settings WHERE key = 'health_probe'`).pluck().get()).toBe(0)
    expect(db.inTransaction).toBe(false)
  })

  it('fails on a read-only database', async () => {
    const { file } = database()
    const readOnly = new Sqlite(file, { readonly: true })
    cleanups.push(() => readOnly.close())
    const result = await run(databaseWritable(readOnly))
    expect(result.status).toBe('fail')
    expect(result.detail).toMatch(/^cannot write to .*genops\.db: attempt to write a readonly database$/)
  })

  it('fails on a closed database', async () => {
    const { db } = database()
    db.close()
    expect(await run(databaseWritable(db))).toEqual({ status: 'fail', detail: `${db.name} is closed` })
  })

  it('warns, without waiting the full busy timeout, while another process holds the write lock, then restores the timeout', async () => {
    const { file, db } = database()
    const other = new Sqlite(file)
    cleanups.push(() => other.close())
    other.exec('BEGIN IMMEDIATE')
    const result = await run(databaseWritable(db, { busyMs: 50 }))
    expect(result).toEqual({ status: 'warn', detail: 'another process has held the write lock for over 50 ms' })
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
    other.exec('ROLLBACK')
    expect((await run(databaseWritable(db))).status).toBe('pass')
  })
})

describe('the disk check', () => {
  const freeBytes = (dir: string) => {
    const { bavail, bsize } = statfsSync(dir)
    return bavail * bsize
  }

  it('passes above twice the floor, warns below it, and fails below the floor', async () => {
    const dir = tempDir()
    const pass = await run(freeDisk(dir, { minFreeBytes: 1024 }))
    expect(pass.status).toBe('pass')
    expect(pass.detail).toMatch(new RegExp(`^[\\d.]+ [KMGTP]?i?B free for ${dir} \\(floor 1.0 KiB\\)$`))
    // 70% of what is free now: between the floor and twice it, with room for other tests writing meanwhile.
    expect((await run(freeDisk(dir, { minFreeBytes: Math.floor(freeBytes(dir) * 0.7) }))).status).toBe('warn')
    const fail = await run(freeDisk(dir, { minFreeBytes: 1e18 }))
    expect(fail.status).toBe('fail')
    expect(fail.detail).toContain('(floor 888.2 PiB)')
  })

  it('is critical, with a floor of 500 MiB by default', async () => {
    const check = freeDisk(tempDir())
    expect(check.critical).toBe(true)
    expect((await run(check)).detail).toContain('(floor 500.0 MiB)')
  })

  it('fails when the data directory is not there', async () => {
    const missing = join(tempDir(), 'missing')
    const report = await new HealthRegistry().register(freeDisk(missing)).report()
    expect(report.status).toBe('unhealthy')
    expect(report.checks[0]!.detail).toContain(`ENOENT: no such file or directory, statfs '${missing}'`)
  })
})

describe('the worker pool check', () => {
  it('passes while the pool has threads, and fails once it is destroyed', async () => {
    const pool = new AttemptPool({ workerFile: WORKER_FILE, threads: 1, tasksPerThread: 1 }, () => {})
    cleanups.push(() => pool.destroy())
    const check = workerPoolAlive(pool)
    expect(check.critical).toBe(true)
    expect(await run(check)).toEqual({ status: 'pass', detail: '1 worker thread, 0% busy' })
    await pool.destroy()
    expect(await run(check)).toEqual({ status: 'fail', detail: 'the worker pool was shut down: no attempt can run' })
  })
})

describe('the queue check', () => {
  it('warns while the queue is paused, saying so, and is not critical', async () => {
    const { db } = database()
    const store = new SqliteQueueStore(db)
    const check = queueRunning(() => store.isPaused())
    expect(check.critical).toBe(false)
    expect(await run(check)).toEqual({ status: 'pass', detail: 'running' })
    store.setPaused(true)
    expect(await run(check)).toEqual({ status: 'warn', detail: 'the queue is paused: no new job starts until it is resumed' })
  })
})

describe('the event-loop check', () => {
  it('warns when the main thread stalled past 100 ms since the last check, and passes again after', async () => {
    const check = eventLoopLag()
    cleanups.push(() => check.dispose?.())
    expect(check.critical).toBe(false)
    await nextTimers()
    expect((await run(check)).status).toBe('pass')
    // The monitor's first tick after a check is its new baseline: stall only after it.
    await nextTimers()
    block(250)
    await nextTimers()
    const stalled = await run(check)
    expect(stalled.status).toBe('warn')
    expect(stalled.detail).toMatch(/^p99 lag \d+ ms, max \d+ ms since the last check \(over 100 ms\)$/)
    await nextTimers()
    expect((await run(check)).status).toBe('pass')
  })

  it('fails when the main thread stalled past its fail threshold', async () => {
    const check = eventLoopLag({ warnMs: 50, failMs: 200 })
    cleanups.push(() => check.dispose?.())
    await nextTimers()
    await run(check)
    await nextTimers()
    block(350)
    await nextTimers()
    expect((await run(check)).status).toBe('fail')
  })
})

describe('the exporter check', () => {
  it('passes while the server listens, with its address, and fails when it does not', async () => {
    const server = createServer()
    const state = (): ListeningState => {
      const address = server.address()
      return { listening: server.listening, address: address && typeof address === 'object' ? `127.0.0.1:${address.port}` : null }
    }
    const check = exporterListening(state)
    expect(check.critical).toBe(false)
    expect(await run(check)).toEqual({ status: 'fail', detail: 'not listening' })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    cleanups.push(() => new Promise((resolve) => server.close(resolve)))
    expect(await run(check)).toEqual({ status: 'pass', detail: `listening on 127.0.0.1:${(server.address() as { port: number }).port}` })
  })
})

describe('the health report without an engine', () => {
  it('holds the database, its integrity and disk checks, and what the store records, through the contract operation', async () => {
    const { db } = database()
    const report = await createHandlers(new SqliteQueueStore(db)).healthReport({})
    expect(report.status).toBe('healthy')
    expect(report.checks.map((check) => [check.name, check.critical, check.status])).toEqual([
      ['database', true, 'pass'],
      ['database-integrity', true, 'pass'],
      ['disk', true, 'pass'],
      ['queue', false, 'pass'],
      ['providers', false, 'pass'],
      ['breakers', false, 'pass'],
    ])
  })

  it('is degraded by a paused provider and a breaker the operator held open, as the store records them', async () => {
    const { db } = database()
    const store = new SqliteQueueStore(db)
    store.pauseProvider('work', 'its API key was refused', Date.now())
    store.recordBreakerEvent({
      breaker: 'work/gpt-4o',
      from: 'closed',
      to: 'isolated',
      at: Date.now(),
      openUntil: null,
      reason: 'by the operator',
      owner: 'cli',
    })
    const report = await standaloneHealth(store).report()
    expect(report.status).toBe('degraded')
    expect(report.checks.find((check) => check.name === 'providers')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('work (its API key was refused)'),
    })
    expect(report.checks.find((check) => check.name === 'breakers')).toMatchObject({ status: 'warn', detail: 'held open by the operator: work/gpt-4o' })
  })

  it('is unhealthy when the disk is under the floor', async () => {
    const { db } = database()
    const report = await standaloneHealth(new SqliteQueueStore(db), { minFreeDiskBytes: 1e18 }).report()
    expect(report.status).toBe('unhealthy')
  })
})
