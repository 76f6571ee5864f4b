/**
 * The store core on PostgreSQL beside SQLite's (issue 15): bulk and one-at-a-time enqueue,
 * and a drain of no-op jobs (claim + settle, no worker pool) by 1, 2 and 3 engine processes
 * on one queue, with each process's claim latency; BullMQ's drain of as many no-op jobs by
 * one worker process (bench/queue.ts's, on a private redis-server) beside them. After each
 * drain it checks that no job was run twice (one ok attempt per job). The PostgreSQL server
 * is the one on 127.0.0.1:5432 (or GENOPS_BENCH_PG_URL, an admin URL): the bench makes a
 * database of its own and drops it. Prints figures; asserts nothing.
 */
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import Sqlite from 'better-sqlite3'
import pg from 'pg'
import { toNewJob } from '../src/main/queue/new-job'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { NewJob } from '../src/main/queue/store'
import { PostgresQueueStore } from '../src/main/store/postgres'
import type { QueueCore } from '../src/main/store/queue-core'
import { startStoreDrainer } from '../test/support/store-drainer'
import { engineProcessesDrain, enqueueForProcesses, oneEngineDrain, type DrainTarget, type EngineDrain } from './engine-drain'
import { bullmqDrain, bullmqMissing, bullmqVersion, withRedis } from './bullmq'
import { formatNumber, machine, perSecond, redisServerVersion, table, tempDir } from './support'

interface Sizes {
  bulk: number
  single: number
  drain: number
  /** BullMQ's drain, as bench/queue.ts runs it: jobs run first to warm the worker, and jobs per addBulk. */
  warmUp: number
  chunk: number
}
const FULL: Sizes = { bulk: 100_000, single: 5_000, drain: 100_000, warmUp: 2_000, chunk: 10_000 }
const QUICK: Sizes = { bulk: 10_000, single: 500, drain: 10_000, warmUp: 500, chunk: 5_000 }
const CLAIM_LIMIT = 50
const PROCESSES = [1, 2, 3]
/** As many jobs in flight in BullMQ's one worker as one drainer holds in a claim. */
const BULLMQ_CONCURRENCY = CLAIM_LIMIT
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
  /** Whole engines (bench/engine-drain.ts): one in this process, and ENGINE_PROCESSES processes of `genops run`. */
  engine: EngineDrain
  engines: number
}

const ENGINE_PROCESSES = 3

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

async function drain(backend: Backend, size: number, processes: number): Promise<DrainFigure> {
  const store = await backend.fresh()
  try {
    const queue = await store.open()
    await queue.enqueue(jobs(size), 'drain', Date.now())
    await queue.close()
    const drainers = await Promise.all(Array.from({ length: processes }, () => startStoreDrainer(backend.kind, store.target, { limit: CLAIM_LIMIT })))
    const started = performance.now()
    drainers.forEach((drainer) => drainer.go())
    const results = await Promise.all(drainers.map((drainer) => drainer.result))
    const ms = performance.now() - started
    const completed = results.reduce((sum, r) => sum + r.completed, 0)
    if (completed !== size) throw new Error(`${backend.name}: ${completed} jobs completed of ${size}`)
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
  const engine = await engineDrain(backend, (target) => oneEngineDrain(target, sizes.drain, sizes.warmUp))
  const engines = await engineDrain(backend, async (target) => {
    await enqueueForProcesses(target, sizes.drain)
    return engineProcessesDrain(target, sizes.drain, ENGINE_PROCESSES)
  })
  return { name: backend.name, bulk, single, drains, engine, engines }
}

/** A whole-engine drain on a fresh store of the backend: a team store's URL, or the SQLite file's data directory. */
async function engineDrain<T>(backend: Backend, run: (target: DrainTarget) => Promise<T>): Promise<T> {
  const store = await backend.fresh()
  const dir = tempDir('engine-drain')
  try {
    return await run(backend.kind === 'postgres' ? { store: store.target, dataDir: dir.path } : { dataDir: dirname(store.target) })
  } finally {
    dir.remove()
    await store.drop()
  }
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

interface BullmqFigure {
  name: string
  jobsPerSecond: number
  /** Cores other processes kept busy during its drain (bench/support.ts backgroundCpu). */
  background: number | null
  cpuUsPerJob: { own: number; helpers: number }
}

/** BullMQ's drain as bench/queue.ts runs it, in this process, on a redis-server of its own; or why it cannot run here. */
async function measureBullmq(sizes: Sizes): Promise<BullmqFigure | string> {
  const missing = bullmqMissing()
  if (missing !== null) return missing
  const drain = await withRedis((connection) => bullmqDrain(connection, sizes, BULLMQ_CONCURRENCY))
  return {
    name: `BullMQ ${bullmqVersion()} (redis-server ${redisServerVersion()})`,
    jobsPerSecond: drain.jobsPerSecond,
    background: drain.background,
    cpuUsPerJob: drain.cpuUsPerJob,
  }
}

const loadAverage = () =>
  loadavg()
    .map((value) => formatNumber(value, 2))
    .join(' ')

export async function runPostgresBench({ quick, command }: { quick: boolean; command: string }): Promise<void> {
  const sizes = quick ? QUICK : FULL
  const box = machine()
  console.log(`store core: PostgreSQL beside SQLite and BullMQ — ${command}` + (quick ? ' (--quick: smaller N, a smoke run; figures are not comparable)' : ''))
  console.log(`machine: ${box.cpu}, ${box.cores} cores, ${formatNumber(box.memoryGb, 1)} GB, Node ${box.node}, load average ${loadAverage()}`)
  console.log(
    `bulk: ${formatNumber(sizes.bulk)} jobs in one enqueue; single: ${formatNumber(sizes.single)} enqueues of one job; ` +
      `drain: ${formatNumber(sizes.drain)} no-op jobs, claim ${CLAIM_LIMIT} + settle, by ${PROCESSES.slice(0, -1).join(', ')} and ${PROCESSES.at(-1)} processes ` +
      `(store core only: no worker pool, no scheduler; each process keeps its leases and sweeps stalled jobs as an engine does)`,
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
  const bullmq = await measureBullmq(sizes)
  const header = [
    'store',
    'bulk enqueue jobs/s',
    'single enqueue jobs/s',
    ...PROCESSES.flatMap((n) => [`drain ×${n} jobs/s`, `claim p99 ×${n} ms`]),
    'run twice',
    'engine ×1 jobs/s',
    'engine ×1 CPU µs/job: engine + server',
    `engines ×${ENGINE_PROCESSES} jobs/s`,
  ]
  const rows = figures.map((f) => [
    f.name,
    formatNumber(f.bulk),
    formatNumber(f.single),
    ...f.drains.flatMap((d) => [formatNumber(d.jobsPerSecond), formatNumber(d.claimP99Ms, 1)]),
    String(f.drains.reduce((sum, d) => sum + d.runTwice, 0)),
    formatNumber(f.engine.jobsPerSecond),
    `${formatNumber(f.engine.engineCpuUsPerJob)} + ${f.engine.serverCpuUsPerJob === null ? '—' : formatNumber(f.engine.serverCpuUsPerJob)}`,
    formatNumber(f.engines),
  ])
  // BullMQ's drain in one process only: bench/queue.ts runs its worker in the bench's own process.
  if (typeof bullmq !== 'string') rows.push([bullmq.name, '—', '—', formatNumber(bullmq.jobsPerSecond), ...Array<string>(PROCESSES.length * 2 + 3).fill('—')])
  console.log(table(header, rows))
  if (typeof bullmq === 'string') console.log(`BullMQ skipped: ${bullmq}`)
  else {
    console.log(
      `BullMQ: one Worker (concurrency ${BULLMQ_CONCURRENCY}, async no-op processor, completed jobs kept) in the bench's process, as bench/queue.ts drains: ` +
        `${formatNumber(sizes.warmUp)} warm-up jobs, paused, backlog added, clock from resume to the last completed; ` +
        `it first waits (at most 30 s) for a quiet machine; ${formatNumber(bullmq.background ?? 0, 2)} cores were busy elsewhere during its drain; ` +
        `${formatNumber(bullmq.cpuUsPerJob.own)} µs of CPU a job in the bench's process and ${formatNumber(bullmq.cpuUsPerJob.helpers)} µs in redis-server.`,
    )
  }
  console.log(
    `engine ×1: one whole engine in this process (createEngine defaults, sim at latency 0, no artifact files, response cache off), ${formatNumber(sizes.warmUp)} warm-up jobs, ` +
      `timed from resume to the last completion; engines ×${ENGINE_PROCESSES}: \`genops run --until-empty --threads 1\` processes (the built CLI), timed from their start to the last exit, start-up included.`,
  )
  for (const f of figures) {
    const { engineCpuUsPerJob, serverCpuUsPerJob } = f.engine
    const perJob = engineCpuUsPerJob + (serverCpuUsPerJob ?? 0)
    console.log(
      `${f.name}: one engine spent ${formatNumber(engineCpuUsPerJob)} µs of CPU a job in its process` +
        (serverCpuUsPerJob === null ? '' : ` and the PostgreSQL server ${formatNumber(serverCpuUsPerJob)} µs in its own`) +
        `: with nothing else running, ${box.cores} cores carry at most ${formatNumber((box.cores * 1e6) / perJob)} jobs/s.`,
    )
  }
  console.log(`load average at the end: ${loadAverage()}`)
}
