/**
 * Memory over a long run against a slow provider (issue 16, item 5: "memory stays flat"):
 * the simulator at a fixed 500 ms, concurrency 1,024, the queue kept fed (a new slice of
 * jobs whenever fewer than two rounds wait) for ten minutes, with createEngine's defaults
 * otherwise (retention keeps the newest 100,000 finished jobs). Samples V8's heap and RSS
 * every second and prints, for each minute, the heap's floor (what survives collection: a
 * leak raises it minute after minute), its peak and RSS's peak.
 */
import { createEngine } from '../src/main/engine'
import { formatNumber, lagMonitor, machine, sleep, table, tempDir } from './support'

const LATENCY_MS = 500
const CONCURRENCY = 1024
const MINUTE_MS = 60_000
const SAMPLE_MS = 1_000

/** One minute of the run: the floors show what stays (a leak raises them), the peaks what the collector lets pile up between runs. */
interface Sample {
  minute: number
  /** Jobs enqueued less those still queued: finished or running. */
  taken: number
  heapFloorMiB: number
  heapPeakMiB: number
  rssPeakMiB: number
}

const mib = (bytes: number) => bytes / 2 ** 20

export async function runSlowProviderMemoryBench({ quick, command }: { quick: boolean; command: string }): Promise<void> {
  const minutes = quick ? 1 : 10
  const host = machine()
  console.log(`GenOps against a slow provider for ${minutes} minute${minutes === 1 ? '' : 's'}: memory` + (quick ? ' (--quick: a smoke run)' : ''))
  console.log(`command: ${command}`)
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}`)
  console.log(
    `sim provider at ${LATENCY_MS} ms, latencySpread 0, cache off, no artifact files, C = ${formatNumber(CONCURRENCY)}; createEngine defaults otherwise`,
  )
  const dir = tempDir('slow-memory')
  const engine = await createEngine({ dataDir: dir.path, concurrency: CONCURRENCY })
  const config = { latencyMs: LATENCY_MS, latencySpread: 0, artifact: false, cache: false }
  let fed = 0
  const feed = async () => {
    const { counts } = await engine.call('queueStats', {})
    if (counts.dead > 0) throw new Error(`slow provider memory: ${counts.dead} jobs went dead`)
    if (counts.queued >= 2 * CONCURRENCY) return
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 2 * CONCURRENCY }, (_, i) => ({ prompt: `slow ${fed + i}`, provider: 'sim', config })),
    })
    fed += 2 * CONCURRENCY
  }
  const samples: Sample[] = []
  const lag = lagMonitor()
  try {
    let minute = { heapFloor: Infinity, heapPeak: 0, rssPeak: 0, endsAt: performance.now() + MINUTE_MS }
    let sampledAt = 0
    while (samples.length < minutes) {
      await feed()
      await sleep(250)
      const now = performance.now()
      if (now - sampledAt < SAMPLE_MS) continue
      sampledAt = now
      const { heapUsed, rss } = process.memoryUsage()
      minute.heapFloor = Math.min(minute.heapFloor, heapUsed)
      minute.heapPeak = Math.max(minute.heapPeak, heapUsed)
      minute.rssPeak = Math.max(minute.rssPeak, rss)
      if (now < minute.endsAt) continue
      const { counts } = await engine.call('queueStats', {})
      samples.push({
        minute: samples.length + 1,
        taken: fed - counts.queued,
        heapFloorMiB: mib(minute.heapFloor),
        heapPeakMiB: mib(minute.heapPeak),
        rssPeakMiB: mib(minute.rssPeak),
      })
      minute = { heapFloor: Infinity, heapPeak: 0, rssPeak: 0, endsAt: minute.endsAt + MINUTE_MS }
    }
  } finally {
    await engine.close()
    dir.remove()
  }
  console.log(
    table(
      ['minute', 'jobs taken', 'heap floor (MiB)', 'heap peak (MiB)', 'RSS peak (MiB)'],
      samples.map((sample) => [
        String(sample.minute),
        formatNumber(sample.taken),
        formatNumber(sample.heapFloorMiB),
        formatNumber(sample.heapPeakMiB),
        formatNumber(sample.rssPeakMiB),
      ]),
    ),
  )
  // From the second minute: the first holds the start-up and the store's first growth.
  const settled = samples.length > 2 ? samples.slice(1) : samples
  const span = (pick: (sample: Sample) => number) => `${formatNumber(Math.min(...settled.map(pick)))} to ${formatNumber(Math.max(...settled.map(pick)))} MiB`
  console.log(
    `minutes ${settled[0]!.minute} to ${settled.at(-1)!.minute}: heap floor ${span((s) => s.heapFloorMiB)}, RSS peak ${span((s) => s.rssPeakMiB)}; ` +
      `${formatNumber(samples.at(-1)!.taken / (minutes * 60), 1)} jobs/s over the run (C ÷ latency = ${formatNumber(CONCURRENCY / (LATENCY_MS / 1000))}); lag p99 ${formatNumber(lag.stop().p99Ms, 1)} ms`,
  )
}
