/**
 * What traces cost a drain: the queue bench's drain (no-op simulator jobs, no artifact
 * files, engine defaults) with traces off, on (spans kept in SQLite), on with one attempt in
 * ten sampled, and on with OTLP export to a collector stand-in in another process. Rounds alternate the modes so a
 * machine that speeds up or slows down over the run weighs on each alike. Prints figures;
 * asserts nothing. `npm run bench -- --traces [--quick]`.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import Sqlite from 'better-sqlite3'
import type { JobSpec } from '../src/shared/jobs'
import { createEngine, type Engine, type EngineConfig } from '../src/main/engine'
import { databaseFile } from '../src/main/paths'
import { formatNumber, lagMonitor, machine, perSecond, sleep, table, tempDir } from './support'

const WARM_UP = 1_000
const POLL_MS = 50

/** A collector stand-in: takes OTLP/HTTP posts and throws them away, in its own process as a real collector would be. */
async function startSink(): Promise<{ url: string; stop(): void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')) })
        .listen(0, '127.0.0.1', function () { console.log(this.address().port) })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const [port] = (await once(child.stdout!, 'data')) as [Buffer]
  return { url: `http://127.0.0.1:${port.toString().trim()}`, stop: () => child.kill() }
}

const specs = (n: number, from = 0): JobSpec[] => Array.from({ length: n }, (_, i) => ({ prompt: `bench job ${from + i}` }))

async function drained(engine: Engine): Promise<void> {
  for (;;) {
    const { counts } = await engine.call('queueStats', {})
    if (counts.dead > 0) throw new Error(`${counts.dead} jobs went dead`)
    if (counts.queued + counts.delayed + counts.active === 0) return
    await sleep(POLL_MS)
  }
}

interface Figure {
  jobsPerSecond: number
  lagP99Ms: number
  spans: number
}

async function drain(telemetry: Pick<EngineConfig, 'traces' | 'metrics'>, size: number): Promise<Figure> {
  const dir = tempDir('traces')
  let engine: Engine | undefined
  try {
    engine = await createEngine({ dataDir: dir.path, ...telemetry })
    const defaults = { config: { artifact: false } }
    await engine.call('enqueueJobs', { jobs: specs(WARM_UP, -WARM_UP), defaults })
    await drained(engine)
    await engine.call('pauseQueue', {})
    await engine.call('enqueueJobs', { jobs: specs(size), defaults })
    const lag = lagMonitor()
    const started = performance.now()
    await engine.call('resumeQueue', {})
    await drained(engine)
    const ms = performance.now() - started
    const lagged = lag.stop()
    await engine.close()
    engine = undefined
    const db = new Sqlite(databaseFile(dir.path), { readonly: true })
    const spans = db.prepare('SELECT count(*) FROM spans').pluck().get() as number
    db.close()
    return { jobsPerSecond: perSecond(size, ms), lagP99Ms: lagged.p99Ms, spans }
  } finally {
    await engine?.close()
    dir.remove()
  }
}

export async function runTracesBench({ quick, command }: { quick: boolean; command: string }): Promise<void> {
  const DRAIN = quick ? 5_000 : 20_000
  const ROUNDS = quick ? 1 : 3
  const sink = await startSink()
  const modes: [string, Pick<EngineConfig, 'traces' | 'metrics'>][] = [
    ['telemetry off (no metrics, no traces)', { traces: { enabled: false }, metrics: { enabled: false } }],
    ['traces off', { traces: { enabled: false } }],
    ['telemetry defaults (metrics, traces at most 200 kept a second)', {}],
    ['traces on, every attempt kept', { traces: { enabled: true, maxPerSecond: 1_000_000 } }],
    ['traces on, every attempt kept + OTLP export', { traces: { enabled: true, maxPerSecond: 1_000_000, otlpEndpoint: sink.url } }],
  ]
  const figures = new Map<string, Figure[]>(modes.map(([name]) => [name, []]))
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, telemetry] of round % 2 === 0 ? modes : [...modes].reverse()) figures.get(name)!.push(await drain(telemetry, DRAIN))
    }
  } finally {
    sink.stop()
  }

  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const off = median(figures.get('telemetry off (no metrics, no traces)')!.map((figure) => figure.jobsPerSecond))
  const { cores, cpu, node } = machine()
  console.log(`command: ${command}`)
  console.log(`Drain of ${formatNumber(DRAIN)} no-op jobs, median of ${ROUNDS} round(s); ${cores} × ${cpu}, Node ${node}`)
  console.log(
    table(
      ['mode', 'jobs/s (each round)', 'median jobs/s', 'cost vs off', 'lag p99 ms', 'spans stored'],
      modes.map(([name]) => {
        const runs = figures.get(name)!
        const jobsPerSecond = median(runs.map((figure) => figure.jobsPerSecond))
        return [
          name,
          runs.map((figure) => formatNumber(figure.jobsPerSecond)).join(' / '),
          formatNumber(jobsPerSecond),
          `${formatNumber((1 - jobsPerSecond / off) * 100, 1)} %`,
          formatNumber(median(runs.map((figure) => figure.lagP99Ms)), 1),
          formatNumber(median(runs.map((figure) => figure.spans))),
        ]
      }),
    ),
  )
}
