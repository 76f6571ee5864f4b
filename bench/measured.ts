/**
 * Measuring a queue workload on a shared 2-core machine (bench/queue.ts, bench/bullmq.ts):
 * a span of jobs timed once the machine is quiet, with how many cores other processes kept
 * busy meanwhile, run again (up to three times) when they disturbed it; and the prompts both
 * queues are given, built before any clock starts.
 */
import type { JobSpec } from '../src/shared/jobs'
import { backgroundCpu, cpuOf, formatNumber, ownCpuMs, perSecond, quietMachine, type Lag } from './support'

/** One measured span: its rate, and how many cores other processes kept busy meanwhile. */
export interface Figure {
  jobsPerSecond: number
  ms: number
  background: number | null
  /** CPU a job: this process's (every thread) and its helpers' (redis-server), in µs. */
  cpuUsPerJob: { own: number; helpers: number }
  /** Runs it took to get a quiet one (see quietest). */
  tries?: number
}

export interface Drain extends Figure {
  lag: Lag
}

/** Cores other processes kept busy while a figure was taken: above this, say the figure is suspect. */
export const NOISY_CORES = 0.2

/** Processes that work for the bench (redis-server), so their CPU is not counted as background. */
let helperPids: number[] = []

/** While a private server runs for the bench, its processes' CPU is the bench's own. */
export function countAsOwn(pids: number[]): void {
  helperPids = pids
}

/** Starts a measured span of `count` jobs once the machine is quiet; `stop` ends it. */
export async function span(count: number): Promise<{ stop(): Figure }> {
  await quietMachine(() => helperPids)
  const background = backgroundCpu(() => helperPids)
  const helpersCpu = () => [...cpuOf(helperPids).values()].reduce((sum, ticks) => sum + ticks * 10, 0)
  const [own, helpers] = [ownCpuMs(), helpersCpu()]
  const started = performance.now()
  return {
    stop() {
      const ms = performance.now() - started
      const perJob = (cpuMs: number) => (cpuMs * 1000) / count
      const cpuUsPerJob = { own: perJob(ownCpuMs() - own), helpers: perJob(helpersCpu() - helpers) }
      return { jobsPerSecond: perSecond(count, ms), ms, background: background.stop(), cpuUsPerJob }
    },
  }
}

/** Most runs of one workload when other processes keep disturbing it. */
export const MAX_TRIES = 3

/**
 * Runs a workload until other processes stayed under NOISY_CORES during it, at most
 * MAX_TRIES times, and keeps the quietest run: on a shared 2-core machine a figure taken
 * while a compiler ran beside it says nothing about the code.
 */
export async function quietest<T extends Figure>(label: string, run: () => Promise<T>): Promise<T> {
  let best: T | undefined
  for (let tries = 1; tries <= MAX_TRIES; tries++) {
    const figure = { ...(await run()), tries }
    if (!best || (figure.background ?? 0) < (best.background ?? 0)) best = figure
    if ((figure.background ?? 0) <= NOISY_CORES) break
    if (tries < MAX_TRIES) log(`${label}: ${formatNumber(figure.background ?? 0, 2)} cores were busy elsewhere during the run, running it again`)
  }
  return best!
}

// A prompt of a realistic short length, different for every job.
const prompt = (i: number) => `Summarise support ticket #${i} in two sentences for the weekly report.`

export function specs(count: number, from = 0): JobSpec[] {
  return Array.from({ length: count }, (_, i) => ({ prompt: prompt(from + i) }))
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export function log(line: string): void {
  process.stderr.write(`  … ${line}\n`)
}

export function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: expected ${expected} jobs, found ${actual}`)
}

/** Longest any one wait of the bench may take before it gives up with an error. */
export const WAIT_LIMIT_MS = 180_000
