/**
 * Whole engines draining a queue (scheduler, worker pool, breakers, telemetry; the sim at
 * latency 0, no artifact files, response cache off), as `--postgres` compares stores: one
 * engine in this process, timed from resume to the last completion after a warm-up as
 * bench/queue.ts drains; and N engine processes (`genops run --until-empty`, the built CLI),
 * timed from their start to the last one's exit, start-up included.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createEngine, type Engine } from '../src/main/engine'
import type { EngineConfig } from '../src/main/engine-config'
import { toNewJob } from '../src/main/operations'
import { openStore } from '../src/main/store/open'
import { cpuOfNamed, ownCpuMs, perSecond, tempDir } from './support'

const CLI = join(import.meta.dirname, '..', 'out', 'main', 'cli.js')
const DEFAULTS = { config: { artifact: false, cache: false } }
const CHUNK = 10_000

/** Where the engines' queue is: a team store's URL, or (absent) the SQLite file of one shared data directory. */
export interface DrainTarget {
  store?: string | undefined
  dataDir: string
}

const specs = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ prompt: `engine drain ${from + i}` }))

async function drained(engine: Engine): Promise<void> {
  for (;;) {
    const { counts } = await engine.call('queueStats', {})
    if (counts.queued + counts.delayed + counts.active === 0) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A drain's rate, and what each job cost in CPU: this process's (the engine, its pool) and a local PostgreSQL server's. */
export interface EngineDrain {
  jobsPerSecond: number
  engineCpuUsPerJob: number
  /** Null on SQLite (the store runs in the engine's own process). */
  serverCpuUsPerJob: number | null
}

/** One engine with its defaults, in this process: jobs per second from resume to the last completion, and the CPU that took. */
export async function oneEngineDrain(target: DrainTarget, jobs: number, warmUp: number): Promise<EngineDrain> {
  const engine = await createEngine({
    dataDir: target.dataDir,
    ...(target.store ? { store: target.store } : {}),
    metrics: { exporter: { enabled: false } },
  } as EngineConfig)
  try {
    await engine.call('enqueueJobs', { jobs: specs(warmUp, -warmUp), defaults: DEFAULTS })
    await drained(engine)
    await engine.call('pauseQueue', {})
    for (let from = 0; from < jobs; from += CHUNK) await engine.call('enqueueJobs', { jobs: specs(Math.min(CHUNK, jobs - from), from), defaults: DEFAULTS })
    const started = performance.now()
    const [engineCpu, serverCpu] = [ownCpuMs(), target.store ? cpuOfNamed('postgres') : null]
    await engine.call('resumeQueue', {})
    await drained(engine)
    const perJob = (ms: number) => (ms * 1000) / jobs
    return {
      jobsPerSecond: perSecond(jobs, performance.now() - started),
      engineCpuUsPerJob: perJob(ownCpuMs() - engineCpu),
      serverCpuUsPerJob: serverCpu && perJob(serverCpu.stop()),
    }
  } finally {
    await engine.close()
  }
}

/** `processes` engine processes on the queue, which already holds `jobs`: jobs per second from their start to the last exit. */
export async function engineProcessesDrain(target: DrainTarget, jobs: number, processes: number): Promise<number> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx electron-vite build\` first`)
  const dirs = Array.from({ length: processes }, () => (target.store ? tempDir('engine') : null))
  try {
    const started = performance.now()
    const children = dirs.map((dir) => {
      const where = target.store ? ['--store', target.store, '--data-dir', dir!.path] : ['--data-dir', target.dataDir]
      return spawn(process.execPath, [CLI, 'run', '--until-empty', '--no-metrics', '--threads', '1', ...where], { stdio: ['ignore', 'ignore', 'inherit'] })
    })
    const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0] as number | null))
    if (codes.some((code) => code !== 0)) throw new Error(`an engine process exited with ${codes.join(', ')}`)
    return perSecond(jobs, performance.now() - started)
  } finally {
    for (const dir of dirs) dir?.remove()
  }
}

/** The queue's jobs for engineProcessesDrain, written through the store (no engine runs them meanwhile), with the engines' defaults. */
export async function enqueueForProcesses(target: DrainTarget, jobs: number): Promise<void> {
  const store = await openStore({ dataDir: target.dataDir, url: target.store })
  try {
    const now = Date.now()
    for (let from = 0; from < jobs; from += CHUNK) {
      await store.enqueue(
        specs(Math.min(CHUNK, jobs - from), from).map((spec) => toNewJob(spec, DEFAULTS, now)),
        'engine drain',
        now,
      )
    }
  } finally {
    await store.close()
  }
}
