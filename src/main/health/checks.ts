/**
 * The standard health checks, one small factory each, and the two sets the processes
 * run: the engine's, and the CLI's (no engine: only what the database file and its disk
 * can tell).
 */
import { statfsSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { CheckResult } from '../../shared/health'
import { sql, type Database } from '../store/sqlite/db/connection'
import type { BreakerStatus } from '../resilience/breakers'
import type { ProviderPause } from '../../shared/resilience'
import { HealthRegistry, type HealthCheck } from './registry'

/** Default floor of free disk for the data directory: 500 MiB. Below twice the floor the check warns. */
export const DEFAULT_MIN_FREE_DISK_BYTES = 500 * 1024 * 1024
/** Default time a standard check may take. */
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000

interface Timeout {
  timeoutMs?: number
}

const pass = (detail: string): CheckResult => ({ status: 'pass', detail })
const warn = (detail: string): CheckResult => ({ status: 'warn', detail })
const fail = (detail: string): CheckResult => ({ status: 'fail', detail })

/**
 * The database takes a write: an immediate transaction that writes a row and is rolled
 * back, so the write lock, the file's permissions and the schema are all exercised and
 * nothing stays behind.
 */
export function databaseWritable(
  db: Database,
  { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS, busyMs = 250, refused }: Timeout & { busyMs?: number; refused?: () => string | null } = {},
): HealthCheck {
  return { name: 'database', critical: true, timeoutMs, check: () => probeWrite(db, busyMs, refused) }
}

/** `refused` says why commits fail now (a full disk: see disk-full.ts), which a rolled-back probe never needs a page to see. */
function probeWrite(db: Database, busyMs: number, refused?: () => string | null): CheckResult {
  if (!db.open) return fail(`${db.name} is closed`)
  const refusal = refused?.()
  if (refusal) return fail(`cannot commit to ${db.name}: ${refusal}`)
  const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number
  // The check runs on the main thread, which no timeout can interrupt: waiting the usual
  // seconds for another process's write lock would freeze the window.
  db.pragma(`busy_timeout = ${busyMs}`)
  try {
    db.exec('BEGIN IMMEDIATE')
    try {
      sql(db, `INSERT INTO queue_settings (key, value) VALUES ('health_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(
        String(Date.now()),
      )
    } finally {
      if (db.inTransaction) db.exec('ROLLBACK')
    }
    return pass(`${db.name} takes writes`)
  } catch (error) {
    // Another process (the CLI enqueuing a large file) holding the lock is a wait, not a broken database.
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return warn(`another process has held the write lock for over ${busyMs} ms`)
    return fail(`cannot write to ${db.name}: ${(error as Error).message}`)
  } finally {
    db.pragma(`busy_timeout = ${busyTimeout}`)
  }
}

/** Free space for an unprivileged writer on the filesystem that holds `dir`, in bytes. */
export function freeDiskBytes(dir: string): number {
  const { bavail, bsize } = statfsSync(dir)
  return bavail * bsize
}

/** Free space on the filesystem that holds `dir`: fails below the floor, warns below twice the floor. */
export function freeDisk(
  dir: string,
  { minFreeBytes = DEFAULT_MIN_FREE_DISK_BYTES, timeoutMs = DEFAULT_CHECK_TIMEOUT_MS }: Timeout & { minFreeBytes?: number } = {},
): HealthCheck {
  return {
    name: 'disk',
    critical: true,
    timeoutMs,
    check: () => {
      const free = freeDiskBytes(dir)
      const detail = `${formatBytes(free)} free for ${dir} (floor ${formatBytes(minFreeBytes)})`
      if (free < minFreeBytes) return fail(detail)
      if (free < 2 * minFreeBytes) return warn(`${detail}: getting close`)
      return pass(detail)
    },
  }
}

/** What the pool check reads from the worker pool (src/main/queue/pool's AttemptPool). */
export interface PoolView {
  readonly threads: number
  readonly destroyed: boolean
  readonly utilization: number
}

export function workerPoolAlive(pool: PoolView, { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS }: Timeout = {}): HealthCheck {
  return {
    name: 'worker-pool',
    critical: true,
    timeoutMs,
    check: () => {
      if (pool.destroyed) return fail('the worker pool was shut down: no attempt can run')
      if (pool.threads === 0) return fail('no worker thread is running')
      return pass(`${pool.threads} worker thread${pool.threads === 1 ? '' : 's'}, ${Math.round(pool.utilization * 100)}% busy`)
    },
  }
}

/** Warns while the queue is paused: nothing is broken, but no job starts until someone resumes it. */
export function queueRunning(isPaused: () => boolean | Promise<boolean>, { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS }: Timeout = {}): HealthCheck {
  return {
    name: 'queue',
    critical: false,
    timeoutMs,
    check: async () => ((await isPaused()) ? warn('the queue is paused: no new job starts until it is resumed') : pass('running')),
  }
}

/**
 * How late the main thread's timers fire, at the 99th percentile since the previous
 * check. The main thread also drives the window: lag here is a frozen UI.
 */
export function eventLoopLag({
  warnMs = 100,
  failMs = 1_000,
  timeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
}: Timeout & { warnMs?: number; failMs?: number } = {}): HealthCheck {
  const delays = monitorEventLoopDelay({ resolution: 10 })
  delays.enable()
  return {
    name: 'event-loop',
    critical: false,
    timeoutMs,
    check: () => {
      if (delays.count === 0) return pass('no samples yet')
      const p99 = delays.percentile(99) / 1e6
      const max = delays.max / 1e6
      // Node takes the first tick after a reset as the new baseline, so a stall that starts
      // within one resolution (10 ms) of a check goes unseen: a small gap for a fresh interval.
      delays.reset()
      const detail = `p99 lag ${Math.round(p99)} ms, max ${Math.round(max)} ms since the last check`
      if (p99 > failMs) return fail(`${detail} (over ${failMs} ms)`)
      if (p99 > warnMs) return warn(`${detail} (over ${warnMs} ms)`)
      return pass(detail)
    },
    dispose: () => delays.disable(),
  }
}

/**
 * Warns while any provider is paused (by the operator, or after an AUTH failure): its jobs
 * wait, the others run. Read from the store, where every process's pauses are recorded.
 */
export function providersRunning(
  pauses: () => readonly ProviderPause[] | Promise<readonly ProviderPause[]>,
  { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS }: Timeout = {},
): HealthCheck {
  return {
    name: 'providers',
    critical: false,
    timeoutMs,
    check: async () => {
      const paused = await pauses()
      if (paused.length === 0) return pass('no provider is paused')
      const which = paused.map((pause) => `${pause.provider} (${pause.reason})`).join(', ')
      return warn(`paused: ${which}; their jobs wait until \`genops providers resume <name>\``)
    },
  }
}

/** Breakers the operator held open (`genops breakers isolate`), as the store records them: for a process with no engine. */
export function breakersHeld(held: () => readonly string[] | Promise<readonly string[]>, { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS }: Timeout = {}): HealthCheck {
  return {
    name: 'breakers',
    critical: false,
    timeoutMs,
    check: async () => {
      const names = await held()
      return names.length === 0 ? pass('none held open by the operator') : warn(`held open by the operator: ${names.join(', ')}`)
    },
  }
}

/**
 * Profiles this engine cannot use: a kept API key it cannot open (a keychain of another
 * machine, no team key), settings it cannot read (a newer GenOps's). Their jobs wait for an
 * engine that can. `unusable` gives each with what this engine cannot do.
 */
export function profileKeysOpen(unusable: () => ReadonlyMap<string, string>, { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS }: Timeout = {}): HealthCheck {
  return {
    name: 'profile-keys',
    critical: false,
    timeoutMs,
    check: () => {
      const cannot = [...unusable().values()]
      if (cannot.length === 0) return pass('this engine opens every key kept with a profile, and reads every profile')
      return warn(`this engine cannot ${cannot.join('; nor ')}: it runs none of their jobs, which wait for an engine that can`)
    },
  }
}

export interface ListeningState {
  listening: boolean
  /** Where it listens, like 127.0.0.1:9464; null when it does not. */
  address: string | null
  /** Why it does not listen (its port is in use...), said instead of "not listening". */
  problem?: string | null
}

/**
 * An HTTP server answers: the metrics exporter (/metrics, /health), registered as
 * `exporter` by the engine, or headless mode's API server, registered as `api`.
 */
export function exporterListening(
  state: () => ListeningState,
  { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS, name = 'exporter' }: Timeout & { name?: string } = {},
): HealthCheck {
  return {
    name,
    critical: false,
    timeoutMs,
    check: () => {
      const { listening, address, problem } = state()
      return listening ? pass(`listening on ${address ?? 'an unknown address'}`) : fail(problem ?? 'not listening')
    },
  }
}

export interface EngineHealthParts {
  /** The store's own checks (store.upkeep.healthChecks): writable, sound, room on its disk. */
  storeChecks: readonly HealthCheck[]
  pool: PoolView
  isPaused: () => boolean | Promise<boolean>
  /** Paused providers, with why. */
  providerPauses: () => readonly ProviderPause[] | Promise<readonly ProviderPause[]>
}

/** The engine's registry; not ready until the engine calls markReady(). */
export function engineHealth(parts: EngineHealthParts): HealthRegistry {
  const registry = new HealthRegistry()
  for (const check of parts.storeChecks) registry.register(check)
  return registry
    .register(workerPoolAlive(parts.pool))
    .register(queueRunning(parts.isPaused))
    .register(providersRunning(parts.providerPauses))
    .register(eventLoopLag())
}

/** What only a running engine can check: a process without one names them instead of passing them. */
export const ENGINE_ONLY_CHECKS = ['worker-pool', 'event-loop'] as const

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

/** One provider's breaker: open or probing degrades the engine (other providers still run), never makes it unhealthy. */
export function breakerCheck(name: string, status: () => BreakerStatus | undefined, { timeoutMs = DEFAULT_CHECK_TIMEOUT_MS }: Timeout = {}): HealthCheck {
  return {
    name: `breaker:${name}`,
    critical: false,
    timeoutMs,
    check: () => {
      const breaker = status()
      if (!breaker || breaker.state === 'closed') return pass('closed')
      if (breaker.state === 'open') return fail(`open until ${new Date(breaker.openUntil ?? Date.now()).toISOString()}: ${breaker.reason ?? ''}`)
      if (breaker.state === 'half-open') return warn('half-open: one probe job is running')
      return warn('held open by the operator')
    },
  }
}
