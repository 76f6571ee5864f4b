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
import { loadavg } from 'node:os'
import Sqlite from 'better-sqlite3'
import { createEngine, type Engine } from '../src/main/engine'
import { toNewJob } from '../src/main/operations'
import { startCheckpointer } from '../src/main/store/sqlite/db/checkpointer'
import { CHECKPOINT_THREAD_FILE, databaseFile } from '../src/main/paths'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { NewJob } from '../src/main/queue/store'
import {
  bullmqBulk,
  bullmqDrain,
  bullmqMissing,
  bullmqSingle,
  bullmqVersion,
  ioredisVersion,
  withRedis,
  type BullmqDrain,
  type BullmqFigures,
  type BullmqSizes,
} from './bullmq'
import { chunks, expectCount, log, MAX_TRIES, NOISY_CORES, quietest, span, specs, WAIT_LIMIT_MS, type Drain, type Figure } from './measured'
import { formatNumber, lagMonitor, machine, redisServerVersion, sleep, table, tempDir, type Lag } from './support'

export interface QueueBenchOptions {
  quick: boolean
  /** How the bench was started, printed as is. */
  command: string
}

interface Sizes extends BullmqSizes {
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

interface GenOpsFigures {
  bulk: Figure
  singleEngine: Figure
  singleStore: Figure
  drain: Drain
  /** The same drain with the response cache on, as jobs are by default. */
  drainCached: Drain
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
 * store the backlog through enqueueJobs, then time resume → all completed. `cache`: whether
 * the jobs use the response cache (on by default): compared with BullMQ off, as a queue's
 * own cost, and printed on too.
 */
async function genopsDrain(sizes: Sizes, cache: boolean): Promise<Drain> {
  const dir = tempDir('drain')
  let engine: Engine | undefined
  try {
    engine = await createEngine({ dataDir: dir.path })
    // No artifact files: the queue's own cost, as BullMQ's no-op processor writes none either.
    const defaults = { config: { artifact: false, cache } }
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

// ---------------------------------------------------------------- report

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
    throughput(`drain ${formatNumber(sizes.drain)} no-op jobs, cache off (jobs/s)`, genops.drain, best, TARGETS.drain),
    throughput(`  the same, response cache on (jobs/s)`, genops.drainCached, best, TARGETS.drain),
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
      `  GenOps drain: createEngine defaults (threads = cores − 1, concurrency 128, sim provider, latency 0, no artifact files, response cache off`,
      `    and then on: each answer kept costs ~25 µs, nothing beside a provider call, most of a no-op job); ${formatNumber(sizes.warmUp)} warm-up jobs run,`,
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
  const drain = await quietest('GenOps drain', () => genopsDrain(sizes, false))
  log(`GenOps drain ${formatNumber(sizes.drain)}, response cache on`)
  const drainCached = await quietest('GenOps drain (cache on)', () => genopsDrain(sizes, true))
  const genops: GenOpsFigures = { bulk, singleEngine, singleStore, drain, drainCached }

  let bullmq: BullmqFigures | undefined
  const missing = bullmqMissing()
  if (missing !== null) {
    console.log(`${missing}: running the GenOps half only.`)
  } else {
    bullmq = await withRedis(async (connection) => {
      log(`BullMQ bulk enqueue ${formatNumber(sizes.bulk)} (redis-server on 127.0.0.1:${connection.port})`)
      const bulkRate = await quietest('BullMQ bulk', () => bullmqBulk(connection, sizes))
      log(`BullMQ single enqueue ${formatNumber(sizes.single)}`)
      const single = await quietest('BullMQ single', () => bullmqSingle(connection, sizes))
      const drains: BullmqDrain[] = []
      for (const concurrency of sizes.bullmqConcurrency) {
        log(`BullMQ drain ${formatNumber(sizes.drain)}, concurrency ${concurrency}`)
        drains.push(await quietest(`BullMQ drain c=${concurrency}`, () => bullmqDrain(connection, sizes, concurrency)))
      }
      return { bulk: bulkRate, single, drains }
    })
  }

  console.log('')
  console.log(report(sizes, genops, bullmq))
  console.log('')
  console.log(`total bench time ${formatNumber((performance.now() - benchStarted) / 1000, 1)} s`)
}
