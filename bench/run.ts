/**
 * `npm run bench [-- --quick] [-- --queue --intake --chaos --local ...]`: the benchmarks,
 * printed. --quick runs smaller N as a smoke test of the bench itself; its figures are not
 * the ones to compare. Name benches to run only those; with none named, every bench marked
 * `byDefault` runs (the local model's bench is slow and runs only when named).
 */
import { runAlertsBench } from './alerts'
import { runChaosBench } from './chaos'
import { runExportBench } from './export'
import { runIntakeBench } from './intake'
import { runJobsScreenBench } from './jobs-screen'
import { runLanesBench } from './lanes'
import { runLocalBench } from './local'
import { runPostgresBench } from './postgres'
import { runMetricsBench } from './metrics'
import { runQueueBench } from './queue'
import { runRealWorldBench } from './real-world'
import { runSeriesBench } from './series'
import { runSlowProviderBench } from './slow-provider'
import { runSlowProviderMemoryBench } from './slow-provider-memory'
import { runTracesBench } from './traces'

interface BenchOptions {
  quick: boolean
  command: string
}

const BENCHES: Record<string, { run: (options: BenchOptions) => Promise<void>; byDefault: boolean; what: string }> = {
  '--queue': { run: runQueueBench, byDefault: true, what: 'enqueue and drain beside BullMQ' },
  '--intake': { run: runIntakeBench, byDefault: true, what: 'a 100,000-line .jsonl, parsed and enqueued' },
  '--chaos': { run: runChaosBench, byDefault: true, what: 'a provider outage with breakers on and off' },
  '--metrics': { run: runMetricsBench, byDefault: true, what: '/metrics scrape time with a million jobs and during a drain; drain with metrics on beside off' },
  '--traces': { run: runTracesBench, byDefault: false, what: 'a drain with traces off, on by default, and every attempt kept (with and without OTLP export)' },
  '--series': { run: runSeriesBench, byDefault: false, what: 'dashboard series and cost reports from the rollups, with a million jobs' },
  '--jobs-screen': { run: runJobsScreenBench, byDefault: false, what: 'the jobs screen in Chromium with 100,000 jobs: first render, filters, search' },
  '--alerts': { run: runAlertsBench, byDefault: false, what: 'alert evaluation and a diagnostic bundle with a million jobs' },
  '--real-world': {
    run: runRealWorldBench,
    byDefault: false,
    what: 'sustained faults beside a fault-free run, the quota server (429 share, quota used), an outage in the middle (issue 12)',
  },
  '--export': {
    run: runExportBench,
    byDefault: false,
    what: 'a 1,000,000-job batch exported as CSV, JSON lines and Parquet (rows/s, peak RSS); the batches screen with 1,000 batches',
  },
  '--lanes': {
    run: runLanesBench,
    byDefault: false,
    what: '10,000 jobs through the batch lane (fake Batch API) and the real-time lane: cost, engine CPU per 1,000 jobs; a rerun with 50 prompts changed, cache on',
  },
  '--postgres': {
    run: runPostgresBench,
    byDefault: false,
    what: 'the store core on PostgreSQL beside SQLite and BullMQ: bulk and single enqueue, a drain of no-op jobs by 1, 2 and 3 processes (issue 15)',
  },
  '--slow-provider': {
    run: runSlowProviderBench,
    byDefault: false,
    what: 'the simulator at a fixed 500 ms, concurrency 128 and 1,024: jobs/s against C ÷ latency, memory over the run',
  },
  '--slow-provider-memory': {
    run: runSlowProviderMemoryBench,
    byDefault: false,
    what: 'the simulator at 500 ms, C = 1,024, kept fed for ten minutes: RSS and heap each minute (issue 16: memory flat)',
  },
  '--local': { run: runLocalBench, byDefault: false, what: 'GGUF generation through the pipeline beside direct' },
}

const args = process.argv.slice(2)
const unknown = args.filter((arg) => arg !== '--quick' && !(arg in BENCHES))
if (unknown.length > 0) {
  const known = Object.entries(BENCHES).map(([flag, bench]) => `  ${flag}  ${bench.what}`)
  console.error(`bench: unknown option ${unknown.join(' ')}; known: --quick and\n${known.join('\n')}`)
  process.exit(2)
}

const command =
  process.env.npm_lifecycle_event === 'bench' ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}` : `tsx bench/run.ts ${args.join(' ')}`.trim()
const named = Object.keys(BENCHES).filter((flag) => args.includes(flag))
const chosen = named.length > 0 ? named : Object.keys(BENCHES).filter((flag) => BENCHES[flag]!.byDefault)

try {
  const quick = args.includes('--quick')
  for (const [i, flag] of chosen.entries()) {
    if (i > 0) console.log('')
    await BENCHES[flag]!.run({ quick, command })
  }
} catch (error) {
  console.error('bench failed:', error)
  process.exitCode = 1
}
