/**
 * The dashboard's series and the cost reports with a million jobs in the database: a
 * million jobs enqueued, claimed and settled through the real store (so the rollups are
 * the ones settle writes), their attempts spread over the last week of a synthetic clock,
 * queue depth sampled every 5 s of it, old buckets pruned as the engine's timer would.
 * Then each series (every metric at every resolution, over its default window and over a
 * whole kept range) and each cost report is timed, p50 and p99 over repeated calls.
 * Prints figures and the target; asserts nothing.
 */
import { join } from 'node:path'
import {
  MAX_SERIES_POINTS,
  RESOLUTION_DEFAULT_WINDOW_MS,
  RESOLUTION_KEPT_MS,
  RESOLUTION_MS,
  RESOLUTIONS,
  SERIES_METRICS,
  type CostReportBy,
} from '../src/shared/costs'
import { toNewJob } from '../src/main/operations'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import type { AttemptResult } from '../src/main/queue/store'
import { formatNumber, machine, perSecond, quietMachine, table, tempDir } from './support'

export interface SeriesBenchOptions {
  quick: boolean
  command: string
}

const SIZES = { full: { jobs: 1_000_000, calls: 200 }, quick: { jobs: 100_000, calls: 30 } }
/** For the series a dashboard asks for (its default windows): a chart that refreshes every second must not notice. */
const TARGET_P99_MS = 10
const DAY = 86_400_000
const WEEK = 7 * DAY
/** Jobs settled per transaction while seeding (a busy engine's settles are about this size), claimed ten at a time across its span. */
const CHUNK = 500
const CLAIM = 10
/** Queue depth is sampled once a minute of synthetic time: the engine's 5 s would be 120,000 samples a week, most pruned with the 1 s buckets. */
const SAMPLE_EVERY_MS = 60_000

const PROVIDERS = [
  ['openai', 'openai', 'gpt-4o-mini'],
  ['openai', 'openai', 'gpt-4.1'],
  ['anthropic', 'anthropic', 'claude-sonnet-4'],
  ['ollama', 'openai', 'llama3'],
  ['sim', 'sim', null],
] as const

/** A log-normal-ish latency around 800 ms: enough spread for the percentiles to mean something. */
function latencyMs(i: number): number {
  const u = ((i * 2654435761) % 1_000_003) / 1_000_003
  return Math.round(800 * Math.exp(1.2 * (u - 0.5) * 2))
}

async function seed(store: SqliteQueueStore, jobs: number, now: number): Promise<{ ms: number }> {
  const start = now - WEEK
  const started = performance.now()
  for (let from = 0; from < jobs; from += 100_000) {
    const count = Math.min(100_000, jobs - from)
    const specs = Array.from({ length: count }, (_, k) => {
      const [provider, , model] = PROVIDERS[(from + k) % PROVIDERS.length]!
      return toNewJob({ prompt: `job ${from + k}`, provider, ...(model ? { model } : {}), tags: [`t${(from + k) % 7}`] }, {}, start)
    })
    store.enqueue(specs, `batch ${from / 100_000}`, start)
  }
  const chunks = Math.ceil(jobs / CHUNK)
  const step = WEEK / chunks
  let nextSample = start
  for (let c = 0; c < chunks; c++) {
    const at = Math.round(start + c * step)
    // Claimed a few at a time across the chunk's span, so attempts fill the week evenly (every bucket of every resolution).
    const claimed: { id: number; provider: string; model: string | null; startedAt: number }[] = []
    for (let k = 0; k < CHUNK / CLAIM; k++) {
      const claimAt = Math.round(at + (k * step * CLAIM) / CHUNK)
      claimed.push(...store.claim({ owner: 'bench', limit: CLAIM, now: claimAt, leaseMs: DAY }).jobs)
    }
    const results: AttemptResult[] = claimed.map((job, k) => {
      const i = c * CHUNK + k
      const [, kind, model] = PROVIDERS.find(([name, , m]) => name === job.provider && m === job.model) ?? PROVIDERS[0]
      const endedAt = job.startedAt + latencyMs(i)
      const cost = { providerKind: kind, model, usd: kind === 'sim' ? 0 : model === 'llama3' ? null : 0.0004 }
      return i % 50 === 0
        ? { id: job.id, outcome: 'error', endedAt, category: 'SERVICE_UNAVAILABLE', message: '503', retryable: false, retryAt: endedAt, cost }
        : { id: job.id, outcome: 'ok', endedAt, output: 'x', inputTokens: 120, outputTokens: 380, cost }
    })
    store.settle(results, 'bench')
    for (; nextSample <= at; nextSample += SAMPLE_EVERY_MS) store.costs.sampleDepth(store.stats(nextSample), nextSample)
  }
  store.costs.pruneRollups(now)
  return { ms: performance.now() - started }
}

interface Timing {
  label: string
  points: number
  p50Ms: number
  p99Ms: number
}

function time(label: string, calls: number, run: () => number): Timing {
  let points = 0
  // Warm: the first call prepares the statement; an engine asks the same statements again and again.
  run()
  const times: number[] = []
  for (let i = 0; i < calls; i++) {
    const started = performance.now()
    points = run()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!
  return { label, points, p50Ms: at(0.5), p99Ms: at(0.99) }
}

export async function runSeriesBench({ quick, command }: SeriesBenchOptions): Promise<void> {
  const sizes = quick ? SIZES.quick : SIZES.full
  const dir = tempDir('series')
  const store = SqliteQueueStore.open(join(dir.path, 'genops.db'))
  try {
    const m = machine()
    console.log(`series and cost reports: ${command}`)
    console.log(`  ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GB, Node ${m.node}${quick ? ' (quick: smaller N, not the figures to compare)' : ''}`)
    const now = Date.now()
    const seeded = await seed(store, sizes.jobs, now)
    const rows = store.db.prepare('SELECT resolution, count(*) AS n FROM usage_rollups GROUP BY resolution ORDER BY resolution').all() as {
      resolution: number
      n: number
    }[]
    console.log(
      `  seeded ${formatNumber(sizes.jobs)} jobs over a week of synthetic time in ${formatNumber(seeded.ms / 1000, 1)} s ` +
        `(${formatNumber(perSecond(sizes.jobs, seeded.ms))} jobs/s claimed and settled in ${CHUNK}s, rollups included)`,
    )
    console.log(`  rollup rows by resolution: ${rows.map((r) => `${r.resolution / 1000} s: ${formatNumber(r.n)}`).join(', ')}`)
    console.log(`  each figure: ${sizes.calls} calls after one to warm up; target p99 under ${TARGET_P99_MS} ms for the dashboard's windows\n`)

    const busy = await quietMachine(() => [])
    if (busy !== null) console.log(`  other processes kept ${formatNumber(busy, 2)} cores busy just before the timings\n`)
    const timings: Timing[] = []
    for (const resolution of RESOLUTIONS) {
      for (const metric of SERIES_METRICS) {
        const series = (since: number) => () => store.costs.series({ metric, resolution, since, until: now }, now).points.length
        timings.push(time(`${metric} ${resolution}, default window`, sizes.calls, series(now - RESOLUTION_DEFAULT_WINDOW_MS[resolution])))
        // The whole range a resolution keeps, as far as one series may reach (10,000 points).
        const kept = Math.min(RESOLUTION_KEPT_MS[resolution], (MAX_SERIES_POINTS - 1) * RESOLUTION_MS[resolution])
        if (kept > RESOLUTION_DEFAULT_WINDOW_MS[resolution]) timings.push(time(`${metric} ${resolution}, all kept`, sizes.calls, series(now - kept)))
      }
    }
    // One provider's series sums its models' rows of each bucket.
    for (const metric of ['throughput', 'latency'] as const) {
      timings.push(
        time(`${metric} 1m, provider openai, default window`, sizes.calls, () => {
          const since = now - RESOLUTION_DEFAULT_WINDOW_MS['1m']
          return store.costs.series({ metric, resolution: '1m', since, until: now, provider: 'openai' }, now).points.length
        }),
      )
    }
    for (const by of ['provider', 'model', 'day', 'batch', 'tag'] as CostReportBy[]) {
      timings.push(
        time(
          `cost report by ${by}, last 7 days`,
          Math.max(5, sizes.calls / 10),
          () => store.costs.costReport({ by, since: now - WEEK, until: now }, now).rows.length,
        ),
      )
    }
    console.log(
      table(
        ['query', 'points/rows', 'p50 ms', 'p99 ms'],
        timings.map((t) => [t.label, formatNumber(t.points), formatNumber(t.p50Ms, 2), formatNumber(t.p99Ms, 2)]),
      ),
    )
    // The dashboard asks for its default windows (a few hundred points); a full 10,000-point series is the most one call may ask.
    const worst = (rows: Timing[]) => rows.reduce((a, b) => (b.p99Ms > a.p99Ms ? b : a))
    const windows = worst(timings.filter((t) => t.label.includes('default window')))
    const largest = worst(timings.filter((t) => t.label.includes('all kept')))
    console.log(
      `\n  dashboard windows: worst p99 ${formatNumber(windows.p99Ms, 2)} ms (${windows.label}); target ${TARGET_P99_MS} ms: ${windows.p99Ms < TARGET_P99_MS ? 'met' : 'NOT met'}`,
    )
    console.log(`  largest series (up to ${formatNumber(MAX_SERIES_POINTS)} points): worst p99 ${formatNumber(largest.p99Ms, 2)} ms (${largest.label})`)
    console.log('  the reports read rollups (by tag: the tag rollups) or batches, never the attempts')
  } finally {
    store.close()
    dir.remove()
  }
}
