/**
 * The metrics bench: how long a /metrics scrape takes, end to end over loopback HTTP, with
 * a million jobs in the database (queued; then every one held by a paused provider, the
 * case where the held count reads the index), and during the full drain of that million;
 * then the drain's throughput with metrics off beside on (recording, the exporter, and a
 * scrape every second, as an aggressive Prometheus would), in the same run, alternating
 * off/on so that a noisy moment on the machine does not land on one side only.
 * Prints figures; asserts nothing.
 */
import { loadavg } from 'node:os'
import type { JobSpec } from '../src/shared/jobs'
import { createEngine, type Engine, type EngineConfig } from '../src/main/engine'
import { toNewJob } from '../src/main/operations'
import { databaseFile } from '../src/main/paths'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import { backgroundCpu, formatNumber, machine, perSecond, quietMachine, sleep, table, tempDir } from './support'

export interface MetricsBenchOptions {
  quick: boolean
  command: string
}

interface Sizes {
  /** Jobs in the database for the scrapes. */
  seeded: number
  seedChunk: number
  idleScrapes: number
  heldScrapes: number
  /** Jobs per measured drain of the on/off comparison, and how many off/on pairs. */
  drain: number
  rounds: number
  warmUp: number
}

const FULL: Sizes = { seeded: 1_000_000, seedChunk: 100_000, idleScrapes: 200, heldScrapes: 40, drain: 100_000, rounds: 3, warmUp: 2_000 }
const QUICK: Sizes = { seeded: 100_000, seedChunk: 50_000, idleScrapes: 50, heldScrapes: 10, drain: 10_000, rounds: 1, warmUp: 500 }

/** How often the scraper scrapes during a drain: Prometheus's default is 15 s, so 1 s is a heavy user. */
const SCRAPE_EVERY_MS = 1000
const POLL_MS = 50
const WAIT_LIMIT_MS = 600_000
/** The DESIGN's budget: metrics on may cost at most this share of the drain's throughput. */
const BUDGET = 0.15

// Retention stays out of the drains: pruning 900,000 completed rows mid-drain would be its own figure.
const KEEP_ALL = { maxCount: 10_000_000, maxAgeMs: 365 * 86_400_000 }
const BASE: Omit<EngineConfig, 'dataDir'> = { artifacts: false, retention: { completed: KEEP_ALL, dead: KEEP_ALL, cancelled: KEEP_ALL } }
const ON = { enabled: true, exporter: { enabled: true, port: 0 } }
const OFF = { enabled: false, exporter: { enabled: false } }

const prompt = (i: number) => `Summarise support ticket #${i} in two sentences for the weekly report.`
const specs = (count: number, from = 0): JobSpec[] => Array.from({ length: count }, (_, i) => ({ prompt: prompt(from + i) }))

function log(line: string): void {
  process.stderr.write(`  … ${line}\n`)
}

interface Spread {
  n: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  bytes: number
}

function spread(times: number[], bytes: number): Spread {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0
  return { n: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) ?? 0, bytes }
}

/** One scrape as Prometheus makes it, timed from request to the last byte. */
async function scrape(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now()
  const response = await fetch(url, { headers: { Accept: 'text/plain;version=0.0.4' } })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`scrape answered ${response.status}: ${text}`)
  return { ms: performance.now() - started, bytes: text.length }
}

async function scrapes(url: string, count: number): Promise<Spread> {
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < count; i++) {
    const one = await scrape(url)
    times.push(one.ms)
    bytes = one.bytes
  }
  return spread(times, bytes)
}

async function drained(engine: Engine, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS
  for (;;) {
    const { counts } = await engine.call('queueStats', {})
    if (counts.dead > 0) throw new Error(`${what}: ${counts.dead} jobs went dead`)
    if (counts.queued + counts.delayed + counts.active === 0) return
    if (Date.now() > deadline) throw new Error(`${what}: not drained after ${WAIT_LIMIT_MS / 1000} s (${JSON.stringify(counts)})`)
    await sleep(POLL_MS)
  }
}

/** Scrapes every SCRAPE_EVERY_MS until `stop` is called; the spread of their times. */
function scraper(url: string | null): { stop(): Promise<Spread | null> } {
  if (!url) return { stop: async () => null }
  const times: number[] = []
  let bytes = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const one = await scrape(url)
      times.push(one.ms)
      bytes = one.bytes
      await sleep(SCRAPE_EVERY_MS)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return spread(times, bytes)
    },
  }
}

interface ScrapeFigures {
  idle: Spread
  held: Spread
  drain: Spread
  drainJobsPerSecond: number
}

/** A million jobs written straight through the store, queue paused; then the engine opens the file. */
async function millionScrapes(sizes: Sizes): Promise<ScrapeFigures> {
  const dir = tempDir('metrics-million')
  let engine: Engine | undefined
  try {
    const store = SqliteQueueStore.open(databaseFile(dir.path))
    try {
      const now = Date.now()
      for (let from = 0; from < sizes.seeded; from += sizes.seedChunk) {
        store.enqueue(
          specs(Math.min(sizes.seedChunk, sizes.seeded - from), from).map((spec) => toNewJob(spec, {}, now)),
          `seed ${from}`,
          now,
        )
      }
      store.setPaused(true)
    } finally {
      store.close()
    }
    engine = await createEngine({ dataDir: dir.path, ...BASE, metrics: ON })
    const url = engine.exporterAddress!.url
    await scrape(url)
    log(`${formatNumber(sizes.idleScrapes)} scrapes, ${formatNumber(sizes.seeded)} jobs queued`)
    await quietMachine(() => [])
    const idle = await scrapes(url, sizes.idleScrapes)

    log(`${formatNumber(sizes.heldScrapes)} scrapes, ${formatNumber(sizes.seeded)} jobs held by a paused provider`)
    await engine.call('pauseProvider', { provider: 'sim', reason: 'bench' })
    await engine.call('resumeQueue', {})
    await quietMachine(() => [])
    const held = await scrapes(url, sizes.heldScrapes)

    log(`draining ${formatNumber(sizes.seeded)} jobs, a scrape every ${SCRAPE_EVERY_MS} ms`)
    const started = performance.now()
    const during = scraper(url)
    await engine.call('resumeProvider', { provider: 'sim' })
    await drained(engine, 'the million drain')
    const ms = performance.now() - started
    return { idle, held, drain: (await during.stop())!, drainJobsPerSecond: perSecond(sizes.seeded, ms) }
  } finally {
    await engine?.close()
    dir.remove()
  }
}

interface DrainFigure {
  metrics: boolean
  jobsPerSecond: number
  /** This process's CPU (main thread and workers) per 1,000 jobs: less swayed than a rate by what else runs on the machine. */
  cpuMsPerThousand: number
  background: number | null
  scrapes: Spread | null
}

/** Warm up, pause, enqueue the backlog, then time resume → drained, with metrics on or off. */
async function drain(sizes: Sizes, metrics: boolean): Promise<DrainFigure> {
  const dir = tempDir(`metrics-drain-${metrics ? 'on' : 'off'}`)
  let engine: Engine | undefined
  try {
    engine = await createEngine({ dataDir: dir.path, ...BASE, metrics: metrics ? ON : OFF })
    await engine.call('enqueueJobs', { jobs: specs(sizes.warmUp, -sizes.warmUp) })
    await drained(engine, 'warm-up')
    await engine.call('pauseQueue', {})
    for (let from = 0; from < sizes.drain; from += 10_000) await engine.call('enqueueJobs', { jobs: specs(Math.min(10_000, sizes.drain - from), from) })
    await quietMachine(() => [])
    const background = backgroundCpu(() => [])
    const cpu = process.cpuUsage()
    const started = performance.now()
    const during = scraper(engine.exporterAddress?.url ?? null)
    await engine.call('resumeQueue', {})
    await drained(engine, `drain with metrics ${metrics ? 'on' : 'off'}`)
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    return {
      metrics,
      jobsPerSecond: perSecond(sizes.drain, ms),
      cpuMsPerThousand: (used.user + used.system) / 1000 / (sizes.drain / 1000),
      background: background.stop(),
      scrapes: await during.stop(),
    }
  } finally {
    await engine?.close()
    dir.remove()
  }
}

const msText = (value: number) => formatNumber(value, 1)
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

export async function runMetricsBench({ quick, command }: MetricsBenchOptions): Promise<void> {
  const sizes = quick ? QUICK : FULL
  const host = machine()
  console.log('GenOps metrics benchmark' + (quick ? ' (--quick: smaller N, a smoke run; figures are not comparable)' : ''))
  console.log(`command: ${command}`)
  console.log(
    `machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}, ` +
      `load average ${loadavg()
        .map((value) => formatNumber(value, 2))
        .join(' ')}`,
  )
  console.log(
    [
      'setup:',
      `  scrapes: GET /metrics (text format) over 127.0.0.1, one after another, timed to the last byte; ${formatNumber(sizes.seeded)} jobs written`,
      '    through store.enqueue, then createEngine defaults (threads = cores − 1, sim provider, latency 0, no artifact files, retention off).',
      `  drains: ${formatNumber(sizes.drain)} no-op jobs after ${formatNumber(sizes.warmUp)} warm-up jobs, clock from resumeQueue until none queued or active;`,
      `    metrics off = metrics.enabled false (no recording, no exporter); on = recording, the exporter, and a scrape every ${SCRAPE_EVERY_MS} ms.`,
      '    Traces and logs are at their defaults in both (they are not what this compares).',
    ].join('\n'),
  )
  const benchStarted = performance.now()

  const million = await millionScrapes(sizes)
  const figures: DrainFigure[] = []
  for (let round = 1; round <= sizes.rounds; round++) {
    for (const metrics of [false, true]) {
      log(`drain ${formatNumber(sizes.drain)}, metrics ${metrics ? 'on' : 'off'} (round ${round} of ${sizes.rounds})`)
      figures.push(await drain(sizes, metrics))
    }
  }

  const scrapeRow = (label: string, figure: Spread) => [
    label,
    formatNumber(figure.n),
    msText(figure.p50Ms),
    msText(figure.p99Ms),
    msText(figure.maxMs),
    formatNumber(figure.bytes),
  ]
  console.log('')
  console.log(
    table(
      ['/metrics scrape', 'scrapes', 'p50 ms', 'p99 ms', 'max ms', 'bytes'],
      [
        scrapeRow(`${formatNumber(sizes.seeded)} jobs queued`, million.idle),
        scrapeRow(`${formatNumber(sizes.seeded)} jobs held (provider paused)`, million.held),
        scrapeRow(`during the drain of them (${formatNumber(million.drainJobsPerSecond)} jobs/s)`, million.drain),
        ...figures
          .filter((figure) => figure.scrapes)
          .map((figure, i) => scrapeRow(`during a ${formatNumber(sizes.drain)} drain, round ${i + 1}`, figure.scrapes!)),
      ],
    ),
  )
  const off = figures.filter((figure) => !figure.metrics).map((figure) => figure.jobsPerSecond)
  const on = figures.filter((figure) => figure.metrics).map((figure) => figure.jobsPerSecond)
  const cost = 1 - median(on) / median(off)
  const cpuOff = median(figures.filter((figure) => !figure.metrics).map((figure) => figure.cpuMsPerThousand))
  const cpuOn = median(figures.filter((figure) => figure.metrics).map((figure) => figure.cpuMsPerThousand))
  console.log('')
  console.log(
    table(
      ['drain', 'jobs/s', 'CPU ms / 1,000 jobs', 'busy elsewhere (cores)'],
      figures.map((figure, i) => [
        `round ${Math.floor(i / 2) + 1}, metrics ${figure.metrics ? 'on' : 'off'}`,
        formatNumber(figure.jobsPerSecond),
        formatNumber(figure.cpuMsPerThousand, 1),
        figure.background === null ? '—' : formatNumber(figure.background, 2),
      ]),
    ),
  )
  console.log('')
  console.log(
    `median drain: off ${formatNumber(median(off))} jobs/s, on ${formatNumber(median(on))} jobs/s: metrics cost ${formatNumber(cost * 100, 1)}% ` +
      `(budget ≤ ${BUDGET * 100}%: ${cost <= BUDGET ? 'meets' : 'MISSES'})`,
  )
  console.log(
    `median CPU per 1,000 jobs: off ${formatNumber(cpuOff, 1)} ms, on ${formatNumber(cpuOn, 1)} ms: metrics cost ${formatNumber((cpuOn / cpuOff - 1) * 100, 1)}% more CPU`,
  )
  console.log(`total bench time ${formatNumber((performance.now() - benchStarted) / 1000, 1)} s`)
}
