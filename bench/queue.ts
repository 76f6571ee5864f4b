/**
 * The queue benchmark: GenOps (SQLite + piscina) against BullMQ (Redis) on the same three
 * workloads — bulk enqueue, one-at-a-time enqueue, and draining no-op jobs — with the main
 * thread's event-loop lag during the drain. Prints figures and targets; asserts nothing.
 *
 * Fairness: inputs are built before a clock starts, on both sides. Both drains start warm
 * (a warm-up batch has run through the same worker) and paused with the backlog already
 * stored; the clock runs from resume to the last job committed as completed. Both keep
 * completed jobs (GenOps always does; BullMQ's default removeOnComplete: false), and
 * BullMQ runs at several concurrencies, its best one being the one compared.
 */
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import Sqlite from 'better-sqlite3'
import { Queue, Worker } from 'bullmq'
import type { JobSpec } from '../src/shared/jobs'
import { createEngine, type Engine } from '../src/main/engine'
import { toNewJob } from '../src/main/operations'
import { startCheckpointer } from '../src/main/db/checkpointer'
import { CHECKPOINT_THREAD_FILE, databaseFile } from '../src/main/paths'
import { SqliteQueueStore } from '../src/main/queue/sqlite'
import type { NewJob } from '../src/main/queue/store'
import {
  backgroundCpu,
  formatNumber,
  lagMonitor,
  machine,
  perSecond,
  quietMachine,
  redisServerVersion,
  sleep,
  startRedis,
  table,
  tempDir,
  type Lag,
} from './support'

export interface QueueBenchOptions {
  quick: boolean
  /** How the bench was started, printed as is. */
  command: string
}

interface Sizes {
  bulk: number
  single: number
  drain: number
  chunk: number
  warmUp: number
  bullmqConcurrency: number[]
}

const FULL: Sizes = { bulk: 200_000, single: 20_000, drain: 100_000, chunk: 10_000, warmUp: 2_000, bullmqConcurrency: [50, 100, 200] }
const QUICK: Sizes = { bulk: 20_000, single: 2_000, drain: 10_000, chunk: 5_000, warmUp: 500, bullmqConcurrency: [100] }

const TARGETS = { bulk: 200_000, single: 10_000, drain: 20_000, lagP99Ms: 20, ratio: 2 }

/** How often the GenOps drain polls queueStats: the drain's end is known to within this. */
const POLL_MS = 50

/** One measured span: its rate, and how many cores other processes kept busy meanwhile. */
interface Figure {
  jobsPerSecond: number
  ms: number
  background: number | null
  /** Runs it took to get a quiet one (see quietest). */
  tries?: number
}

interface Drain extends Figure {
  lag: Lag
}

interface GenOpsFigures {
  bulk: Figure
  singleEngine: Figure
  singleStore: Figure
  drain: Drain
}

interface BullmqDrain extends Drain {
  concurrency: number
}

interface BullmqFigures {
  bulk: Figure
  single: Figure
  drains: BullmqDrain[]
}

/** Processes that work for the bench (redis-server), so their CPU is not counted as background. */
let helperPids: number[] = []

/** Starts a measured span of `count` jobs once the machine is quiet; `stop` ends it. */
async function span(count: number): Promise<{ stop(): Figure }> {
  await quietMachine(() => helperPids)
  const background = backgroundCpu(() => helperPids)
  const started = performance.now()
  return {
    stop() {
      const ms = performance.now() - started
      return { jobsPerSecond: perSecond(count, ms), ms, background: background.stop() }
    },
  }
}

/** Most runs of one workload when other processes keep disturbing it. */
const MAX_TRIES = 3

/**
 * Runs a workload until other processes stayed under NOISY_CORES during it, at most
 * MAX_TRIES times, and keeps the quietest run: on a shared 2-core machine a figure taken
 * while a compiler ran beside it says nothing about the code.
 */
async function quietest<T extends Figure>(label: string, run: () => Promise<T>): Promise<T> {
  let best: T | undefined
  for (let tries = 1; tries <= MAX_TRIES; tries++) {
    const figure = { ...(await run()), tries }
    if (!best || (figure.background ?? 0) < (best.background ?? 0)) best = figure
    if ((figure.background ?? 0) <= NOISY_CORES) break
    if (tries < MAX_TRIES) log(`${label}: ${formatNumber(figure.background ?? 0, 2)} cores were busy elsewhere during the run, running it again`)
  }
  return best!
}

// A prompt of a realistic short length, different for every job.
const prompt = (i: number) => `Summarise support ticket #${i} in two sentences for the weekly report.`

function specs(count: number, from = 0): JobSpec[] {
  return Array.from({ length: count }, (_, i) => ({ prompt: prompt(from + i) }))
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

function log(line: string): void {
  process.stderr.write(`  … ${line}\n`)
}

// ---------------------------------------------------------------- GenOps

/** Enqueue calls of `chunk` jobs through the engine's public operation (zod validation included), queue paused. */
async function genopsBulk(sizes: Sizes): Promise<Figure> {
  const dir = tempDir('bulk')
  let engine: Engine | undefined
  try {
    engine = await createEngine({ dataDir: dir.path })
    await engine.call('pauseQueue', {})
    const inputs = chunks(specs(sizes.bulk), sizes.chunk).map((jobs, i) => ({ jobs, batchName: `bench bulk ${i}` }))
    const measured = await span(sizes.bulk)
    for (const input of inputs) await engine.call('enqueueJobs', input)
    const figure = measured.stop()
    expectCount('GenOps bulk', (await engine.call('queueStats', {})).counts.queued, sizes.bulk)
    return figure
  } finally {
    await engine?.close()
    dir.remove()
  }
}

/** One enqueue per job through the engine's public operation (zod validation included), queue paused. */
async function genopsSingleEngine(sizes: Sizes): Promise<Figure> {
  const dir = tempDir('single-engine')
  let engine: Engine | undefined
  try {
    engine = await createEngine({ dataDir: dir.path })
    await engine.call('pauseQueue', {})
    const inputs = specs(sizes.single).map((spec) => ({ jobs: [spec] }))
    const measured = await span(sizes.single)
    for (const input of inputs) await engine.call('enqueueJobs', input)
    const figure = measured.stop()
    expectCount('GenOps single (engine)', (await engine.call('queueStats', {})).counts.queued, sizes.single)
    return figure
  } finally {
    await engine?.close()
    dir.remove()
  }
}

/** One store.enqueue per job: the transaction alone, without the operation layer (WAL checkpoints off-thread, as in the engine). */
async function genopsSingleStore(sizes: Sizes): Promise<Figure> {
  const dir = tempDir('single-store')
  const store = SqliteQueueStore.open(databaseFile(dir.path))
  const checkpointer = startCheckpointer(store.db, { threadFile: CHECKPOINT_THREAD_FILE, intervalMs: 100, onError: (message) => log(message) })
  try {
    const now = Date.now()
    const jobs: NewJob[] = specs(sizes.single).map((spec) => toNewJob(spec, {}, now))
    const measured = await span(sizes.single)
    for (const [i, job] of jobs.entries()) store.enqueue([job], `bench single ${i}`, Date.now())
    const figure = measured.stop()
    expectCount('GenOps single (store)', store.stats(Date.now()).counts.queued, sizes.single)
    return figure
  } finally {
    await checkpointer.stop()
    store.close()
    dir.remove()
  }
}

/** Longest any one wait of the bench may take before it gives up with an error. */
const WAIT_LIMIT_MS = 180_000

/**
 * Until nothing is queued, delayed or active. Not "completed reaches N": retention may
 * prune completed jobs (the engine's default keeps 100,000) while the drain runs.
 */
async function waitForDrained(engine: Engine, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS
  for (;;) {
    const { counts } = await engine.call('queueStats', {})
    if (counts.dead > 0) throw new Error(`${what}: ${counts.dead} jobs went dead`)
    if (counts.queued + counts.delayed + counts.active === 0) return
    if (Date.now() > deadline) throw new Error(`${what}: not drained after ${WAIT_LIMIT_MS / 1000} s (${JSON.stringify(counts)})`)
    await sleep(POLL_MS)
  }
}

/**
 * The engine with its defaults (threads = cores − 1, concurrency 128): warm up, pause,
 * store the backlog through enqueueJobs, then time resume → all completed.
 */
async function genopsDrain(sizes: Sizes): Promise<Drain> {
  const dir = tempDir('drain')
  let engine: Engine | undefined
  try {
    engine = await createEngine({ dataDir: dir.path })
    // No artifact files: the queue's own cost, as BullMQ's no-op processor writes none either.
    const defaults = { config: { artifact: false } }
    await engine.call('enqueueJobs', { jobs: specs(sizes.warmUp, -sizes.warmUp), defaults })
    await waitForDrained(engine, 'GenOps warm-up')
    await engine.call('pauseQueue', {})
    for (const jobs of chunks(specs(sizes.drain), sizes.chunk)) await engine.call('enqueueJobs', { jobs, defaults })
    expectCount('GenOps drain backlog', (await engine.call('queueStats', {})).counts.queued, sizes.drain)

    const measured = await span(sizes.drain)
    const lag = lagMonitor()
    await engine.call('resumeQueue', {})
    await waitForDrained(engine, 'GenOps drain')
    return { ...measured.stop(), lag: lag.stop() }
  } finally {
    await engine?.close()
    dir.remove()
  }
}

// ---------------------------------------------------------------- BullMQ

interface Connection {
  host: string
  port: number
  maxRetriesPerRequest: null
}

async function withQueue<T>(connection: Connection, name: string, run: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(name, { connection })
  try {
    await queue.waitUntilReady()
    return await run(queue)
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined)
    await queue.close()
  }
}

const bullmqJobs = (count: number, from = 0) => specs(count, from).map((data) => ({ name: 'generate', data }))

async function bullmqBulk(connection: Connection, sizes: Sizes): Promise<Figure> {
  return withQueue(connection, 'bench-bulk', async (queue) => {
    const batches = chunks(bullmqJobs(sizes.bulk), sizes.chunk)
    const measured = await span(sizes.bulk)
    for (const batch of batches) await queue.addBulk(batch)
    const figure = measured.stop()
    expectCount('BullMQ bulk', await queue.getWaitingCount(), sizes.bulk)
    return figure
  })
}

async function bullmqSingle(connection: Connection, sizes: Sizes): Promise<Figure> {
  return withQueue(connection, 'bench-single', async (queue) => {
    const inputs = bullmqJobs(sizes.single)
    const measured = await span(sizes.single)
    for (const { name, data } of inputs) await queue.add(name, data)
    const figure = measured.stop()
    expectCount('BullMQ single', await queue.getWaitingCount(), sizes.single)
    return figure
  })
}

/** Same shape as the GenOps drain: warm up, pause, store the backlog, time resume → all completed. */
async function bullmqDrain(connection: Connection, sizes: Sizes, concurrency: number): Promise<BullmqDrain> {
  return withQueue(connection, `bench-drain-${concurrency}`, async (queue) => {
    // removeOnComplete left at its default (keep every completed job), as GenOps keeps its rows.
    const worker = new Worker(queue.name, async () => undefined, { connection, concurrency, autorun: false })
    try {
      let completed = 0
      let failed = 0
      let target = sizes.warmUp
      let reached: (() => void) | undefined
      worker.on('completed', () => {
        if (++completed === target) reached?.()
      })
      worker.on('failed', () => failed++)
      const until = (count: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`BullMQ drain: ${completed} of ${count} completed after ${WAIT_LIMIT_MS / 1000} s`)), WAIT_LIMIT_MS)
          target = count
          reached = () => {
            clearTimeout(timer)
            resolve()
          }
          if (completed >= count) reached()
        })

      await queue.addBulk(bullmqJobs(sizes.warmUp, -sizes.warmUp))
      void worker.run()
      await until(sizes.warmUp)
      await worker.pause()
      for (const batch of chunks(bullmqJobs(sizes.drain), sizes.chunk)) await queue.addBulk(batch)
      expectCount('BullMQ drain backlog', await queue.getWaitingCount(), sizes.drain)

      const measured = await span(sizes.drain)
      const lag = lagMonitor()
      const done = until(sizes.warmUp + sizes.drain)
      worker.resume()
      await done
      const result = { concurrency, ...measured.stop(), lag: lag.stop() }
      if (failed > 0) throw new Error(`BullMQ drain: ${failed} jobs failed`)
      return result
    } finally {
      await worker.close()
    }
  })
}

function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected} jobs, found ${actual}`)
}

// ---------------------------------------------------------------- report

/** BullMQ 6 loads its Redis driver lazily and ioredis is only its optional peer. */
function ioredisVersion(): string | null {
  try {
    return (createRequire(import.meta.url)('ioredis/package.json') as { version: string }).version
  } catch {
    return null
  }
}

function bullmqVersion(): string {
  return (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version
}

function sqliteVersion(): string {
  const db = new Sqlite(':memory:')
  try {
    return db.prepare('SELECT sqlite_version()').pluck().get() as string
  } finally {
    db.close()
  }
}

const rate = (value: number | undefined) => (value === undefined ? '—' : formatNumber(value))
const ms = (value: number | undefined) => (value === undefined ? '—' : formatNumber(value, 1))

function ratio(genops: number, bullmq: number | undefined): string {
  return bullmq === undefined ? '—' : `${formatNumber(genops / bullmq, 2)}×`
}

function verdict(meets: boolean): string {
  return meets ? 'meets' : 'MISSES'
}

/** Cores other processes kept busy while a figure was taken: above this, say the figure is suspect. */
const NOISY_CORES = 0.2

function background(figure: Figure | undefined): string {
  if (figure?.background === undefined || figure.background === null) return '—'
  const tries = figure.tries && figure.tries > 1 ? ` (${figure.tries} runs)` : ''
  return formatNumber(figure.background, 2) + (figure.background > NOISY_CORES ? '!' : '') + tries
}

function report(sizes: Sizes, genops: GenOpsFigures, bullmq: BullmqFigures | undefined): string {
  const best = bullmq?.drains.reduce((a, b) => (b.jobsPerSecond > a.jobsPerSecond ? b : a))
  const throughput = (label: string, ours: Figure, theirs: Figure | undefined, target: number) => {
    const vsTarget = verdict(ours.jobsPerSecond >= target)
    return [
      label,
      rate(ours.jobsPerSecond),
      rate(theirs?.jobsPerSecond),
      theirs ? ratio(ours.jobsPerSecond, theirs.jobsPerSecond) : '—',
      `≥ ${formatNumber(target)}, ≥ ${TARGETS.ratio}×`,
      theirs ? `${vsTarget}, ${verdict(ours.jobsPerSecond / theirs.jobsPerSecond >= TARGETS.ratio)}` : vsTarget,
      `${background(ours)} / ${background(theirs)}`,
    ]
  }
  const lag = (label: string, pick: (lag: Lag) => number, target?: number) => [
    label,
    ms(pick(genops.drain.lag)),
    ms(best ? pick(best.lag) : undefined),
    best ? ratio(pick(genops.drain.lag), pick(best.lag)) : '—',
    target === undefined ? '' : `≤ ${target}`,
    target === undefined ? '' : verdict(pick(genops.drain.lag) <= target),
    '',
  ]
  const rows: string[][] = [
    throughput(`bulk enqueue ${formatNumber(sizes.bulk)}, ${formatNumber(sizes.chunk)} a call (jobs/s)`, genops.bulk, bullmq?.bulk, TARGETS.bulk),
    throughput(`single enqueue ${formatNumber(sizes.single)}, engine.call (jobs/s)`, genops.singleEngine, bullmq?.single, TARGETS.single),
    throughput(`  the same through store.enqueue (jobs/s)`, genops.singleStore, bullmq?.single, TARGETS.single),
    throughput(`drain ${formatNumber(sizes.drain)} no-op jobs (jobs/s)`, genops.drain, best, TARGETS.drain),
    lag('  main-thread lag p50 (ms)', (l) => l.p50Ms),
    lag('  main-thread lag p99 (ms)', (l) => l.p99Ms, TARGETS.lagP99Ms),
    lag('  main-thread lag max (ms)', (l) => l.maxMs),
  ]
  const header = ['workload', 'GenOps', best ? `BullMQ (c=${best.concurrency})` : 'BullMQ', 'GenOps/BullMQ', 'target', 'met (rate, ratio)', 'busy elsewhere']
  const lines = [table(header, rows)]
  lines.push(
    '',
    `busy elsewhere: cores (of ${machine().cores}) that other processes used while that figure was taken (GenOps / BullMQ);`,
    `  a run above ${NOISY_CORES} is run again (at most ${MAX_TRIES} runs) and the quietest kept; "!" marks one still above it: rerun on a quiet machine.`,
  )
  if (bullmq) {
    lines.push('', 'BullMQ drains tried (removeOnComplete left at its default, false: completed jobs are kept, as GenOps keeps them):')
    for (const drain of bullmq.drains) {
      lines.push(
        `  concurrency ${String(drain.concurrency).padStart(3)}: ${rate(drain.jobsPerSecond)} jobs/s in ${ms(drain.ms)} ms, ` +
          `lag p50 ${ms(drain.lag.p50Ms)} / p99 ${ms(drain.lag.p99Ms)} / max ${ms(drain.lag.maxMs)} ms, busy elsewhere ${background(drain)}`,
      )
    }
  }
  return lines.join('\n')
}

export async function runQueueBench({ quick, command }: QueueBenchOptions): Promise<void> {
  const sizes = quick ? QUICK : FULL
  const host = machine()
  const redisVersion = redisServerVersion()
  const ioredis = ioredisVersion()
  console.log('GenOps queue benchmark' + (quick ? ' (--quick: smaller N, a smoke run; figures are not comparable)' : ''))
  console.log(`command: ${command}`)
  console.log(
    `machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}, ` +
      `load average ${loadavg()
        .map((value) => formatNumber(value, 2))
        .join(' ')}`,
  )
  console.log(
    `versions: sqlite ${sqliteVersion()} (better-sqlite3), redis-server ${redisVersion ?? 'not installed'}, bullmq ${bullmqVersion()}, ioredis ${ioredis ?? 'not installed'}`,
  )
  console.log(
    [
      'setup:',
      `  GenOps bulk: engine.call("enqueueJobs") with ${formatNumber(sizes.chunk)} jobs a call (zod + one transaction each), queue paused, fresh temp data dir.`,
      '  GenOps single: engine.call("enqueueJobs", {jobs: [one]}) per job, queue paused (zod + one transaction each); also store.enqueue([one]) per job.',
      `  GenOps drain: createEngine defaults (threads = cores − 1, concurrency 128, sim provider, latency 0, no artifact files); ${formatNumber(sizes.warmUp)} warm-up jobs run,`,
      `    queue paused, backlog enqueued, clock from resumeQueue until queueStats shows none queued or active (polled every ${POLL_MS} ms).`,
      `  BullMQ: Queue.addBulk in ${formatNumber(sizes.chunk)}s; queue.add awaited one at a time; Worker with async no-op processor, autorun off,`,
      `    ${formatNumber(sizes.warmUp)} warm-up jobs, worker.pause(), backlog addBulk, clock from worker.resume() to the last 'completed' event.`,
      '  Lag: monitorEventLoopDelay({resolution: 1}) on the main thread during the drain only; an idle loop reads ~1.1 ms.',
    ].join('\n'),
  )

  const benchStarted = performance.now()
  log(`GenOps bulk enqueue ${formatNumber(sizes.bulk)}`)
  const bulk = await quietest('GenOps bulk', () => genopsBulk(sizes))
  log(`GenOps single enqueue ${formatNumber(sizes.single)} (engine, then store)`)
  const singleEngine = await quietest('GenOps single (engine)', () => genopsSingleEngine(sizes))
  const singleStore = await quietest('GenOps single (store)', () => genopsSingleStore(sizes))
  log(`GenOps drain ${formatNumber(sizes.drain)}`)
  const drain = await quietest('GenOps drain', () => genopsDrain(sizes))
  const genops: GenOpsFigures = { bulk, singleEngine, singleStore, drain }

  let bullmq: BullmqFigures | undefined
  if (redisVersion === null) {
    console.log('redis-server is not installed: running the GenOps half only (apt-get install redis-server for the comparison).')
  } else if (ioredis === null) {
    console.log('ioredis is not installed (BullMQ 6 needs it for Redis): running the GenOps half only (npm install -D ioredis@5).')
  } else {
    const redis = await startRedis()
    try {
      helperPids = [redis.pid]
      const connection: Connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }
      log(`BullMQ bulk enqueue ${formatNumber(sizes.bulk)} (redis-server on 127.0.0.1:${redis.port})`)
      const bulkRate = await quietest('BullMQ bulk', () => bullmqBulk(connection, sizes))
      log(`BullMQ single enqueue ${formatNumber(sizes.single)}`)
      const single = await quietest('BullMQ single', () => bullmqSingle(connection, sizes))
      const drains: BullmqDrain[] = []
      for (const concurrency of sizes.bullmqConcurrency) {
        log(`BullMQ drain ${formatNumber(sizes.drain)}, concurrency ${concurrency}`)
        drains.push(await quietest(`BullMQ drain c=${concurrency}`, () => bullmqDrain(connection, sizes, concurrency)))
      }
      bullmq = { bulk: bulkRate, single, drains }
    } finally {
      helperPids = []
      await redis.stop()
    }
  }

  console.log('')
  console.log(report(sizes, genops, bullmq))
  console.log('')
  console.log(`total bench time ${formatNumber((performance.now() - benchStarted) / 1000, 1)} s`)
}
