/**
 * Throughput against a slow provider (issue 16, item 5): the simulator at a fixed 500 ms
 * (latencySpread 0), the engine at concurrency C = 128 and 1,024, thirty rounds of C jobs
 * each. With no other limit the drain should reach C ÷ 0.5 s; the issue asks for 90% of
 * it, with memory flat (RSS sampled every 250 ms: at the start, highest, at the end).
 */
import { createEngine } from '../src/main/engine'
import { backgroundCpu, formatNumber, lagMonitor, machine, quietMachine, sleep, table, tempDir } from './support'

const LATENCY_MS = 500
// Thirty: the first round's ramp and the last one's tail (and the 250 ms poll that sees the end) weigh
// about half a second; over ten rounds that alone cost 10 points of the share (83% against 94% here).
const ROUNDS = 30
const ENQUEUE_CHUNK = 5000

interface Figure {
  concurrency: number
  jobs: number
  seconds: number
  perSecond: number
  ideal: number
  rss: { startMiB: number; maxMiB: number; endMiB: number }
  lagP99Ms: number
  busyElsewhere: number | null
}

async function drain(concurrency: number, rounds: number): Promise<Figure> {
  const dir = tempDir(`slow-${concurrency}`)
  const engine = await createEngine({ dataDir: dir.path, concurrency })
  try {
    const jobs = concurrency * rounds
    const config = { latencyMs: LATENCY_MS, latencySpread: 0, artifact: false, cache: false }
    await engine.call('pauseQueue', {})
    for (let from = 0; from < jobs; from += ENQUEUE_CHUNK) {
      const count = Math.min(ENQUEUE_CHUNK, jobs - from)
      await engine.call('enqueueJobs', { jobs: Array.from({ length: count }, (_, i) => ({ prompt: `slow ${from + i}`, provider: 'sim', config })) })
    }
    await quietMachine(() => [])
    const rss: number[] = [process.memoryUsage().rss]
    const lag = lagMonitor()
    const elsewhere = backgroundCpu(() => [])
    const started = performance.now()
    await engine.call('resumeQueue', {})
    for (;;) {
      await sleep(250)
      rss.push(process.memoryUsage().rss)
      const { counts } = await engine.call('queueStats', {})
      if (counts.dead > 0) throw new Error(`slow provider, C=${concurrency}: ${counts.dead} jobs went dead`)
      if (counts.queued + counts.delayed + counts.active === 0) break
    }
    const seconds = (performance.now() - started) / 1000
    const mib = (bytes: number) => bytes / 2 ** 20
    return {
      concurrency,
      jobs,
      seconds,
      perSecond: jobs / seconds,
      ideal: concurrency / (LATENCY_MS / 1000),
      rss: { startMiB: mib(rss[0]!), maxMiB: mib(Math.max(...rss)), endMiB: mib(rss.at(-1)!) },
      lagP99Ms: lag.stop().p99Ms,
      busyElsewhere: elsewhere.stop(),
    }
  } finally {
    await engine.close()
    dir.remove()
  }
}

export async function runSlowProviderBench({ quick, command }: { quick: boolean; command: string }): Promise<void> {
  const host = machine()
  console.log('GenOps against a slow provider' + (quick ? ' (--quick: 3 rounds, a smoke run)' : ''))
  console.log(`command: ${command}`)
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}`)
  console.log(
    `sim provider at ${LATENCY_MS} ms, latencySpread 0, cache off, no artifact files; createEngine defaults otherwise; ${quick ? 3 : ROUNDS} rounds of C jobs`,
  )
  const figures: Figure[] = []
  for (const concurrency of [128, 1024]) figures.push(await drain(concurrency, quick ? 3 : ROUNDS))
  console.log(
    table(
      ['C', 'jobs', 'jobs/s', 'C ÷ latency', 'share', 'target', 'RSS start → max → end (MiB)', 'lag p99 (ms)', 'busy elsewhere (cores)'],
      figures.map((figure) => [
        String(figure.concurrency),
        formatNumber(figure.jobs),
        formatNumber(figure.perSecond, 1),
        formatNumber(figure.ideal),
        `${formatNumber((figure.perSecond / figure.ideal) * 100, 1)}%`,
        '≥ 90%',
        `${formatNumber(figure.rss.startMiB)} → ${formatNumber(figure.rss.maxMiB)} → ${formatNumber(figure.rss.endMiB)}`,
        formatNumber(figure.lagP99Ms, 1),
        figure.busyElsewhere === null ? 'n/a' : formatNumber(figure.busyElsewhere, 2),
      ]),
    ),
  )
}
