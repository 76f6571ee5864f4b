/**
 * The cost lanes bench (issue 17): the same 10,000 prompts through the batch lane (the
 * fake OpenAI Batch API) and through the real-time lane (the same fake's chat completions,
 * response cache off), each with its cost at the list prices and the engine's CPU per
 * 1,000 jobs; then the response cache: the file run once with the cache on, and run again
 * after changing 50 prompts (expect 50 provider calls). The fake runs in a child process
 * (bench/lanes-fake.ts), so the CPU counted is the engine's: its main thread and its pool.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import Sqlite from 'better-sqlite3'
import { createEngine, type Engine } from '../src/main/engine'
import { databaseFile } from '../src/main/paths'
import { formatNumber, machine, onExit, sleep, table, tempDir } from './support'

interface LanesOptions {
  quick: boolean
  command: string
}

const MODEL = 'gpt-4o'
const CHANGED = 50
const ENQUEUE_CHUNK = 5000

interface Counts {
  batches: number
  linesUploaded: number
  chatCalls: number
}

interface Run {
  label: string
  jobs: number
  wallMs: number
  cpuMs: number
  costUsd: number
  providerCalls: number
  completed: number
}

async function startFake(): Promise<{ url: string; counts(): Promise<Counts>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lanes-fake.ts')], { stdio: ['pipe', 'pipe', 'inherit'] })
  const release = onExit(() => child.kill())
  const [url] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  return {
    url,
    counts: async () => (await (await fetch(`${new URL(url).origin}/fake/counts`)).json()) as Counts,
    async stop() {
      // The fake closes when its stdin does.
      const exited = once(child, 'exit')
      child.stdin!.end()
      await exited
      release()
    },
  }
}

const prompts = (n: number, edited = 0) =>
  Array.from({ length: n }, (_, i) => `Summarise support ticket ${i} in one sentence for the weekly report${i < edited ? ' (edited)' : ''}`)

async function drained(engine: Engine): Promise<void> {
  for (;;) {
    const { counts } = await engine.call('queueStats', {})
    if (counts.queued + counts.delayed + counts.submitted + counts.active === 0) return
    await sleep(50)
  }
}

/** One run on a fresh engine (or the one given): enqueue, wait for the queue to empty, read cost and counts. */
async function run(
  label: string,
  dataDir: string,
  url: string,
  fake: () => Promise<Counts>,
  texts: string[],
  lane: 'batch' | 'realtime',
  cache: boolean,
): Promise<Run> {
  const engine = await createEngine({
    dataDir,
    threads: 1,
    artifacts: false,
    cache: { enabled: cache },
    batchLane: { gatherMs: 500, tickMs: 50, pollMinMs: 100, pollMaxMs: 500 },
  })
  try {
    await engine.call('saveProvider', { name: 'gateway', provider: 'openai', baseUrl: url, model: MODEL })
    const before = await fake()
    const cpu = process.cpuUsage()
    const started = performance.now()
    for (let i = 0; i < texts.length; i += ENQUEUE_CHUNK) {
      const jobs = texts.slice(i, i + ENQUEUE_CHUNK).map((prompt) => ({ prompt, provider: 'gateway', ...(lane === 'batch' && { config: { lane } }) }))
      await engine.call('enqueueJobs', { jobs, batchName: label })
    }
    await drained(engine)
    await engine.idle()
    const wallMs = performance.now() - started
    const used = process.cpuUsage(cpu)
    const after = await fake()
    const db = new Sqlite(databaseFile(dataDir), { readonly: true })
    try {
      const since = db.prepare('SELECT max(id) FROM jobs').pluck().get() as number
      const first = since - texts.length
      return {
        label,
        jobs: texts.length,
        wallMs,
        cpuMs: (used.user + used.system) / 1000,
        costUsd: db.prepare('SELECT ifnull(sum(cost_usd), 0) FROM job_attempts WHERE job_id > ?').pluck().get(first) as number,
        providerCalls: after.linesUploaded - before.linesUploaded + (after.chatCalls - before.chatCalls),
        completed: db.prepare(`SELECT count(*) FROM jobs WHERE id > ? AND state = 'completed'`).pluck().get(first) as number,
      }
    } finally {
      db.close()
    }
  } finally {
    await engine.close(5000)
  }
}

export async function runLanesBench({ quick, command }: LanesOptions): Promise<void> {
  const n = quick ? 1000 : 10_000
  const host = machine()
  console.log('GenOps cost lanes benchmark' + (quick ? ' (--quick: smaller N, a smoke run)' : ''))
  console.log(`command: ${command}`)
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}`)
  console.log(`${formatNumber(n)} jobs on profile "gateway" (openai, ${MODEL}, the fake OpenAI server in a child process); 1 worker thread; artifacts off`)
  const fake = await startFake()
  const runs: Run[] = []
  const batchDir = tempDir('lanes-batch')
  runs.push(await run('batch lane', batchDir.path, fake.url, fake.counts, prompts(n), 'batch', false))
  batchDir.remove()
  const realtimeDir = tempDir('lanes-realtime')
  runs.push(await run('real-time lane', realtimeDir.path, fake.url, fake.counts, prompts(n), 'realtime', false))
  realtimeDir.remove()
  // The cache: the file once (filling it), then again with 50 prompts changed.
  const cacheDir = tempDir('lanes-cache')
  runs.push(await run('real-time, cache on, first run', cacheDir.path, fake.url, fake.counts, prompts(n), 'realtime', true))
  runs.push(await run(`rerun, ${CHANGED} prompts changed`, cacheDir.path, fake.url, fake.counts, prompts(n, CHANGED), 'realtime', true))
  cacheDir.remove()
  await fake.stop()

  console.log('')
  console.log(
    table(
      ['run', 'jobs', 'completed', 'provider calls', 'cost (USD)', 'wall (s)', 'engine CPU (s)', 'CPU per 1,000 jobs (ms)'],
      runs.map((r) => [
        r.label,
        formatNumber(r.jobs),
        formatNumber(r.completed),
        formatNumber(r.providerCalls),
        formatNumber(r.costUsd, 4),
        formatNumber(r.wallMs / 1000, 1),
        formatNumber(r.cpuMs / 1000, 2),
        formatNumber(r.cpuMs / (r.jobs / 1000), 0),
      ]),
    ),
  )
  const [batch, realtime, , rerun] = runs
  console.log('')
  console.log(
    `batch lane cost / real-time cost: ${formatNumber(batch!.costUsd / realtime!.costUsd, 3)} (same answers and tokens; the list gives no batch price: half of each)`,
  )
  console.log(`provider calls on the rerun: ${formatNumber(rerun!.providerCalls)} (expected ${CHANGED})`)
  console.log('provider calls: lines uploaded in provider batches plus real-time requests; CPU: this process (engine main thread and pool), not the fake')
}
