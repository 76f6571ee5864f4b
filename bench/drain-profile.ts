/**
 * Where a no-op drain's time goes (issue 16, item 1): `npx tsx bench/drain-profile.ts [N]
 * [--cache]` drains N no-op jobs (default 30,000) through createEngine's defaults, as the
 * queue bench does (warm, paused with the backlog stored, then resumed), with V8's sampling
 * profiler on the main thread during the drain only, and prints the main thread's time per
 * job by part of the path, the process's CPU per job (every thread: the pool's worker and
 * SQLite's checkpointer too) and jobs/s. The response cache is off unless --cache: the
 * drain measures the queue, as the queue bench's does (bench/README.md gives both).
 * `--save FILE` keeps the .cpuprofile for a closer look (Chrome DevTools opens it);
 * `--concurrency N` runs the engine at N attempts at once (default 128).
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createEngine, type Engine } from '../src/main/engine'
import { chunks, specs } from './measured'
import { formatNumber, machine, sleep, table, tempDir } from './support'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Parts of the path, each a frame whose time counts with everything it calls (the first that matches, innermost first). */
const PARTS: { part: string; fn: string; file: string }[] = [
  { part: 'settle: response cache writes', fn: 'note', file: 'store/sqlite/cache-settle' },
  { part: 'settle: rollups and totals', fn: 'recordUsage', file: 'store/sqlite/telemetry/rollups-write' },
  { part: 'settle: job, attempt and event rows, commit', fn: 'settleAttempts', file: 'store/sqlite/queue/settle' },
  { part: 'claim (one transaction a batch)', fn: 'claimJobs', file: 'store/sqlite/queue/claim' },
  { part: 'response cache: key and look-up', fn: 'keyOf', file: 'cache/answers' },
  { part: 'response cache: key and look-up', fn: 'lookUp', file: 'cache/answers' },
  { part: 'dispatch: breakers, rate gates, task sent to the pool', fn: 'run', file: 'queue/pool' },
  { part: 'pool: result received (piscina)', fn: '_handleResponse', file: 'piscina' },
  { part: 'telemetry: metrics, logs, traces of the attempt', fn: 'attemptEnded', file: 'queue/scheduler' },
  { part: 'telemetry: metrics, logs, traces of the attempt', fn: 'beginTrace', file: 'telemetry/logs-and-traces' },
  { part: 'dispatch: breakers, rate gates, task sent to the pool', fn: 'run', file: 'resilience/gates' },
  { part: 'scheduler: route, dispatch, finish', fn: 'turn', file: 'queue/scheduler' },
  { part: 'scheduler: route, dispatch, finish', fn: 'finish', file: 'queue/scheduler' },
  { part: 'garbage collection', fn: '(garbage collector)', file: '' },
]

function breakdown(profile: Profile): { byPart: Map<string, number>; busyUs: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, ProfileNode>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node)
  const byPart = new Map<string, number>()
  let busyUs = 0
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0
    let node = byId.get(id)
    if (!node || node.callFrame.functionName === '(idle)') return
    busyUs += us
    let part = 'other'
    for (; node; node = parent.get(node.id)) {
      const { functionName, url } = node.callFrame
      const match = PARTS.find((p) => p.fn === functionName && (p.file === '' || url.includes(p.file)))
      if (match) {
        part = match.part
        break
      }
    }
    byPart.set(part, (byPart.get(part) ?? 0) + us)
  })
  return { byPart, busyUs }
}

async function drained(engine: Engine): Promise<void> {
  for (;;) {
    const { counts } = await engine.call('queueStats', {})
    if (counts.dead > 0) throw new Error(`${counts.dead} jobs went dead`)
    if (counts.queued + counts.delayed + counts.active === 0) return
    await sleep(20)
  }
}

const args = process.argv.slice(2)
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 30_000)
const cache = args.includes('--cache')
const saveAt = args.includes('--save') ? args[args.indexOf('--save') + 1] : undefined
const concurrency = args.includes('--concurrency') ? Number(args[args.indexOf('--concurrency') + 1]) : undefined

const dir = tempDir('drain-profile')
const engine = await createEngine({ dataDir: dir.path, ...(concurrency ? { concurrency } : {}) })
const session = new Session()
try {
  const defaults = { config: { artifact: false, cache } }
  await engine.call('enqueueJobs', { jobs: specs(2_000, -2_000), defaults })
  await drained(engine)
  await engine.call('pauseQueue', {})
  for (const jobs of chunks(specs(count), 10_000)) await engine.call('enqueueJobs', { jobs, defaults })

  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 200 })
  await session.post('Profiler.start')
  const cpu = process.cpuUsage()
  const started = performance.now()
  await engine.call('resumeQueue', {})
  await drained(engine)
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  const { profile } = (await session.post('Profiler.stop')) as { profile: Profile }
  if (saveAt) writeFileSync(saveAt, JSON.stringify(profile))

  const host = machine()
  const perJob = (us: number) => formatNumber(us / count, 1)
  const { byPart, busyUs } = breakdown(profile)
  console.log(
    `drain of ${formatNumber(count)} no-op jobs, response cache ${cache ? 'on' : 'off'}, no artifact files, ${concurrency ? `concurrency ${concurrency}, ` : ''}createEngine defaults otherwise`,
  )
  console.log(`command: npx tsx bench/drain-profile.ts ${args.join(' ')}`.trim())
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}`)
  console.log(
    `${formatNumber(count / (ms / 1000))} jobs/s; process CPU ${perJob(used.user + used.system)} µs a job (all threads); main thread ${perJob(busyUs)} µs a job (sampled wall time: on a busy machine it includes time other processes ran)`,
  )
  const parts = [...new Set([...PARTS.map((p) => p.part), 'other'])]
  console.log(
    table(
      ['main thread, per job', 'µs', 'share'],
      parts.map((part) => [part, perJob(byPart.get(part) ?? 0), `${formatNumber(((byPart.get(part) ?? 0) / busyUs) * 100, 1)}%`]),
    ),
  )
} finally {
  session.disconnect()
  await engine.close()
  dir.remove()
}
