/**
 * The store core on PostgreSQL beside SQLite's (issue 15): bulk and one-at-a-time enqueue,
 * and a drain of no-op jobs (claim + settle, no worker pool) by 1 and 3 engine processes on
 * one queue, with each process's claim latency. After each drain it checks that no job was
 * run twice (one ok attempt per job). The PostgreSQL server is the one on 127.0.0.1:5432
 * (or GENOPS_BENCH_PG_URL, an admin URL): the bench makes a database of its own and drops
 * it. Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import Sqlite from 'better-sqlite3'
import pg from 'pg'
import { toNewJob } from '../src/main/queue/new-job'
import { SqliteQueueStore } from '../src/main/queue/sqlite'
import type { NewJob } from '../src/main/queue/store'
import { PostgresQueueStore } from '../src/main/store/postgres'
import type { QueueCore } from '../src/main/store/queue-core'
import { formatNumber, machine, perSecond, table, tempDir } from './support'

interface Sizes {
  bulk: number
  single: number
  drain: number
}
const FULL: Sizes = { bulk: 100_000, single: 5_000, drain: 100_000 }
const QUICK: Sizes = { bulk: 10_000, single: 500, drain: 10_000 }
const CLAIM_LIMIT = 50
const PROCESSES = [1, 3]
const ADMIN_URL = process.env.GENOPS_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

interface DrainFigure {
  processes: number
  jobsPerSecond: number
  claimP99Ms: number
  /** Jobs with more than one ok attempt: must be 0. */
  runTwice: number
}

interface StoreFigures {
  name: string
  bulk: number
  single: number
  drains: DrainFigure[]
}

/** One kind of store: a fresh empty one for each run, and how to count ok attempts per job in it. */
interface Backend {
  name: string
  kind: 'postgres' | 'sqlite'
  fresh(): Promise<{ target: string; open(): Promise<QueueCore>; runTwice(): Promise<number>; drop(): Promise<void> }>
  close?(): Promise<void>
}

const jobs = (count: number): NewJob[] => Array.from({ length: count }, (_, i) => toNewJob({ prompt: `bench job ${i}` }, { provider: 'sim' }, Date.now()))

async function timed(count: number, run: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await run()
  return perSecond(count, performance.now() - started)
}

interface Drainer {
  result: Promise<{ claimed: number; p99Ms: number }>
  go(): void
}

/** A drainer process, started and with its store open; it drains once told to go. */
async function startDrainer(kind: Backend['kind'], target: string, owner: string): Promise<Drainer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'store-drainer.ts'), kind, target, owner, String(CLAIM_LIMIT)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines = createInterface({ input: child.stdout! })
  const [first] = (await once(lines, 'line')) as [string]
  if (first !== 'ready') throw new Error(`drainer ${owner} said ${first}`)
  const result = (async () => {
    const [line] = (await once(lines, 'line')) as [string]
    await once(child, 'exit')
    return JSON.parse(line) as { claimed: number; p99Ms: number }
  })()
  return { result, go: () => child.stdin!.write('go\n') }
}

async function drain(backend: Backend, size: number, processes: number): Promise<DrainFigure> {
  const store = await backend.fresh()
  try {
    const queue = await store.open()
    await queue.enqueue(jobs(size), 'drain', Date.now())
    await queue.close()
    const drainers = await Promise.all(Array.from({ length: processes }, (_, i) => startDrainer(backend.kind, store.target, `bench:${i}:drainer`)))
    const started = performance.now()
    drainers.forEach((drainer) => drainer.go())
    const results = await Promise.all(drainers.map((drainer) => drainer.result))
    const ms = performance.now() - started
    const claimed = results.reduce((sum, r) => sum + r.claimed, 0)
    if (claimed !== size) throw new Error(`${backend.name}: ${claimed} jobs claimed of ${size}`)
    return { processes, jobsPerSecond: perSecond(size, ms), claimP99Ms: Math.max(...results.map((r) => r.p99Ms)), runTwice: await store.runTwice() }
  } finally {
    await store.drop()
  }
}

async function measure(backend: Backend, sizes: Sizes): Promise<StoreFigures> {
  const store = await backend.fresh()
  let bulk: number
  let single: number
  try {
    const queue = await store.open()
    const bulkJobs = jobs(sizes.bulk)
    bulk = await timed(sizes.bulk, () => Promise.resolve(queue.enqueue(bulkJobs, 'bulk', Date.now())))
    const singles = jobs(sizes.single)
    single = await timed(sizes.single, async () => {
      for (const job of singles) await queue.enqueue([job], 'single', Date.now())
    })
    await queue.close()
  } finally {
    await store.drop()
  }
  const drains: DrainFigure[] = []
  for (const processes of PROCESSES) drains.push(await drain(backend, sizes.drain, processes))
  return { name: backend.name, bulk, single, drains }
}

const OK_TWICE = `SELECT count(*) AS n FROM (SELECT job_id FROM job_attempts WHERE outcome = 'ok' GROUP BY job_id HAVING count(*) > 1) twice`

function sqliteBackend(): Backend {
  return {
    name: 'SQLite (better-sqlite3, WAL)',
    kind: 'sqlite',
    async fresh() {
      const dir = tempDir('store-core')
      const file = join(dir.path, 'genops.db')
      SqliteQueueStore.open(file).close()
      return {
        target: file,
        open: async () => SqliteQueueStore.open(file),
        async runTwice() {
          const db = new Sqlite(file, { readonly: true })
          try {
            return (db.prepare(OK_TWICE).get() as { n: number }).n
          } finally {
            db.close()
          }
        },
        drop: async () => dir.remove(),
      }
    },
  }
}

async function postgresBackend(): Promise<Backend | string> {
  const admin = new pg.Pool({ connectionString: ADMIN_URL, max: 1, connectionTimeoutMillis: 3000 })
  admin.on('error', () => undefined)
  let version: string
  try {
    version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version.split(' ')[0]!
  } catch (error) {
    await admin.end()
    return `no PostgreSQL server at ${ADMIN_URL} (${(error as Error).message}): set GENOPS_BENCH_PG_URL`
  }
  return {
    name: `PostgreSQL ${version} (pg, ${new URL(ADMIN_URL).host})`,
    kind: 'postgres',
    async fresh() {
      const name = `genops_bench_${randomBytes(4).toString('hex')}`
      await admin.query(`CREATE DATABASE ${name}`)
      const url = new URL(ADMIN_URL)
      url.pathname = `/${name}`
      const target = url.toString()
      return {
        target,
        open: () => PostgresQueueStore.open(target),
        async runTwice() {
          const pool = new pg.Pool({ connectionString: target, max: 1 })
          // DROP DATABASE ... WITH (FORCE) may cut a connection that is still closing: not an error of the bench's.
          pool.on('error', () => undefined)
          try {
            return Number((await pool.query<{ n: string }>(OK_TWICE)).rows[0]!.n)
          } finally {
            await pool.end()
          }
        },
        drop: async () => void (await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
      }
    },
    close: () => admin.end(),
  }
}

export async function runPostgresBench({ quick, command }: { quick: boolean; command: string }): Promise<void> {
  const sizes = quick ? QUICK : FULL
  const box = machine()
  console.log(`store core: PostgreSQL beside SQLite — ${command}`)
  console.log(`machine: ${box.cpu}, ${box.cores} cores, ${formatNumber(box.memoryGb, 1)} GB, Node ${box.node}`)
  console.log(
    `bulk: ${formatNumber(sizes.bulk)} jobs in one enqueue; single: ${formatNumber(sizes.single)} enqueues of one job; ` +
      `drain: ${formatNumber(sizes.drain)} no-op jobs, claim ${CLAIM_LIMIT} + settle, by ${PROCESSES.join(' and ')} processes (store core only: no worker pool, no scheduler)`,
  )
  const backends: Backend[] = [sqliteBackend()]
  const postgres = await postgresBackend()
  if (typeof postgres === 'string') console.log(`PostgreSQL skipped: ${postgres}`)
  else backends.push(postgres)
  const figures: StoreFigures[] = []
  try {
    for (const backend of backends) figures.push(await measure(backend, sizes))
  } finally {
    for (const backend of backends) await backend.close?.()
  }
  const header = [
    'store',
    'bulk enqueue jobs/s',
    'single enqueue jobs/s',
    ...PROCESSES.flatMap((n) => [`drain ×${n} jobs/s`, `claim p99 ×${n} ms`]),
    'run twice',
  ]
  const rows = figures.map((f) => [
    f.name,
    formatNumber(f.bulk),
    formatNumber(f.single),
    ...f.drains.flatMap((d) => [formatNumber(d.jobsPerSecond), formatNumber(d.claimP99Ms, 1)]),
    String(f.drains.reduce((sum, d) => sum + d.runTwice, 0)),
  ])
  console.log(table(header, rows))
}
