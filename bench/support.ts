/**
 * What every benchmark needs around the code it measures: the machine it ran on, temp
 * directories and child processes that are cleaned up even when a run fails or is
 * interrupted, a private redis-server on loopback, event-loop lag, and a plain table.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { cpus, totalmem, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

// Synchronous cleanups: they also run from 'exit' and signal handlers, where nothing async can.
const cleanups = new Set<() => void>()

function runCleanups(): void {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup()
    } catch {
      // Best effort: one failed cleanup must not keep the others from running.
    }
  }
  cleanups.clear()
}

process.once('exit', runCleanups)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    runCleanups()
    process.exit(signal === 'SIGINT' ? 130 : 143)
  })
}

/** Registers a cleanup that runs on exit unless `release`d first; returns `release`. */
export function onExit(cleanup: () => void): () => void {
  cleanups.add(cleanup)
  return () => cleanups.delete(cleanup)
}

export interface TempDir {
  path: string
  remove(): void
}

export function tempDir(label: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `genops-bench-${label}-`))
  const remove = () => rmSync(path, { recursive: true, force: true })
  const release = onExit(remove)
  return {
    path,
    remove() {
      release()
      remove()
    },
  }
}

export interface Machine {
  cpu: string
  cores: number
  memoryGb: number
  node: string
}

export function machine(): Machine {
  const list = cpus()
  return { cpu: list[0]?.model.trim() ?? 'unknown', cores: list.length, memoryGb: totalmem() / 2 ** 30, node: process.version }
}

/** The redis-server binary on PATH and its version, or null when it is not installed. */
export function redisServerVersion(): string | null {
  const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (result.error || result.status !== 0) return null
  return /v=(\S+)/.exec(result.stdout)?.[1] ?? result.stdout.trim()
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('no free port on 127.0.0.1'))))
    })
  })
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

export interface RedisServer {
  port: number
  pid: number
  stop(): Promise<void>
}

/** A throwaway redis-server on 127.0.0.1: no persistence, killed on exit whatever happens. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let running = true
  void exited.then(() => (running = false))
  const release = onExit(() => {
    if (running) child.kill('SIGKILL')
  })

  const stop = async () => {
    release()
    if (!running) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }

  const deadline = Date.now() + 5000
  while (!(await ping(port))) {
    if (!running || Date.now() > deadline) {
      await stop()
      throw new Error(`redis-server did not start on 127.0.0.1:${port}: ${output.trim() || 'no output'}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { port, pid: child.pid ?? 0, stop }
}

export interface Lag {
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/**
 * Main-thread event-loop delay over a measured span. With a 1 ms resolution an idle loop
 * reads about 1 ms: the histogram holds the interval between timer turns, not the excess.
 */
export function lagMonitor(): { stop(): Lag } {
  const histogram = monitorEventLoopDelay({ resolution: 1 })
  histogram.enable()
  return {
    stop() {
      histogram.disable()
      return { p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 }
    },
  }
}

/** Busy and total jiffies of the whole machine, from /proc/stat's first line. */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = fields.reduce((sum, value) => sum + value, 0)
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0)
  return { busy: total - idle, total }
}

/** User + system jiffies of a process, every thread included (fields 14 and 15 of /proc/PID/stat). */
function processTicks(pid: number | 'self'): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0
  }
}

/** CPU jiffies (1/100 s on Linux) of these processes by pid, every thread included. */
export function cpuOf(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, processTicks(pid)]))
}

/** The running processes named `name` (/proc/PID/comm): a local PostgreSQL server's, say. Empty off Linux. */
export function pidsNamed(name: string): number[] {
  try {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name
        } catch {
          return false
        }
      })
      .map(Number)
  } catch {
    return []
  }
}

/**
 * The CPU milliseconds processes named `name` spent from now to `stop()`: those started
 * meanwhile (a new connection's backend) counted whole, those that ended meanwhile lost.
 */
export function cpuOfNamed(name: string): { stop(): number } {
  const start = cpuOf(pidsNamed(name))
  return {
    stop() {
      let ticks = 0
      for (const [pid, now] of cpuOf(pidsNamed(name))) ticks += now - (start.get(pid) ?? 0)
      return ticks * 10
    },
  }
}

/** This process's CPU milliseconds, every thread included (the worker pool's too). */
export const ownCpuMs = (): number => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * How many cores other processes kept busy over a measured span: the machine's busy time
 * less this process's and the given helpers' (redis-server). On a small shared machine a
 * figure taken while something else ran is not the code's figure. Null off Linux.
 */
export function backgroundCpu(helperPids: () => number[]): { stop(): number | null } {
  let start: { machine: { busy: number; total: number }; ours: number; cores: number } | null = null
  const ours = () => processTicks('self') + helperPids().reduce((sum, pid) => sum + processTicks(pid), 0)
  try {
    start = { machine: machineTicks(), ours: ours(), cores: cpus().length }
  } catch {
    start = null
  }
  return {
    stop() {
      if (!start) return null
      const machine = machineTicks()
      const total = machine.total - start.machine.total
      if (total <= 0) return 0
      const others = machine.busy - start.machine.busy - (ours() - start.ours)
      return Math.max(0, (others / total) * start.cores)
    },
  }
}

/**
 * Waits, up to `maxWaitMs`, for a half-second in which other processes use at most
 * `threshold` cores; returns the cores they used in the last sample (null off Linux).
 */
export async function quietMachine(helperPids: () => number[], { threshold = 0.2, maxWaitMs = 30_000 } = {}): Promise<number | null> {
  const deadline = Date.now() + maxWaitMs
  let told = false
  for (;;) {
    const sample = backgroundCpu(helperPids)
    await sleep(500)
    const busy = sample.stop()
    if (busy === null || busy <= threshold) return busy
    if (Date.now() > deadline) {
      process.stderr.write(`  … still ${busy.toFixed(2)} cores busy elsewhere after ${maxWaitMs / 1000} s: measuring anyway\n`)
      return busy
    }
    if (!told) process.stderr.write(`  … ${busy.toFixed(2)} cores busy in other processes: waiting for a quiet machine\n`)
    told = true
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export const perSecond = (count: number, ms: number): number => (count * 1000) / ms

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** Left-aligned first column, right-aligned others. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n')
}
