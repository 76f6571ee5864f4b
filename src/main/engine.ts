/**
 * The engine: the queue, the scheduler, the worker pool and the event stream, behind
 * the contract's operations. Plain Node, no Electron: the desktop shell, headless mode
 * and the CLI's `run` all create one of these.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import type { EngineEvent, OperationName, OperationOutput } from '../shared/contract'
import { DEFAULT_BACKOFF } from './queue/backoff'
import { DEFAULT_EVENT_TIMING, EventHub } from './event-hub'
import { createHandlers, invoke, type Handlers } from './operations'
import { startCheckpointer } from './db/checkpointer'
import { CHECKPOINT_THREAD_FILE, databaseFile, WORKER_FILE } from './paths'
import { AttemptPool } from './queue/pool'
import { Scheduler } from './queue/scheduler'
import { SqliteQueueStore } from './queue/sqlite'
import type { SecretBox } from './secrets'

const DAY = 86_400_000
const positive = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a positive integer`)
    .positive(`${name} must be a positive integer`)
const retentionRule = z.object({ maxCount: z.number().int().min(0), maxAgeMs: z.number().int().min(0) })

const EngineConfig = z.object({
  /** Where genops.db lives (see paths.dataDir). */
  dataDir: z.string().min(1, 'dataDir is required'),
  /** Worker threads. Default: one fewer than the cores, at least one (the main thread needs a core too). */
  threads: positive('threads').default(Math.max(1, availableParallelism() - 1)),
  /**
   * Most attempts in flight at once. Default 128: enough that claims and commits carry
   * ~100 jobs per transaction under load (bench/queue), few enough to bound a turn's work.
   */
  concurrency: positive('concurrency').default(128),
  /** Most jobs claimed, and most results committed, in one transaction. Default 256 and 1024. */
  claimBatch: positive('claimBatch').default(256),
  settleBatch: positive('settleBatch').default(1024),
  /** How long a claim is good for without a heartbeat. Default 30 s. */
  leaseMs: positive('leaseMs').default(30_000),
  /** How often to look for due jobs and other processes' writes. Default 250 ms. */
  pollMs: positive('pollMs').default(250),
  stallSweepMs: positive('stallSweepMs').default(5_000),
  /** Stalls (lease expiries) a job survives before it is dead. Default 2. */
  maxStalled: z.number().int().min(0).default(2),
  /** How long a cancelled attempt may take to stop before its thread is terminated. Default 5 s. */
  cancelGraceMs: positive('cancelGraceMs').default(5_000),
  retentionSweepMs: positive('retentionSweepMs').default(60_000),
  retention: z.object({ completed: retentionRule, dead: retentionRule, cancelled: retentionRule }).default({
    completed: { maxCount: 100_000, maxAgeMs: 30 * DAY },
    dead: { maxCount: 100_000, maxAgeMs: 90 * DAY },
    cancelled: { maxCount: 100_000, maxAgeMs: 30 * DAY },
  }),
  backoff: z.object({ baseMs: positive('backoff.baseMs'), maxMs: positive('backoff.maxMs') }).default(DEFAULT_BACKOFF),
  workerFile: z.string().default(WORKER_FILE),
  /** Write each completed attempt's output to <dataDir>/artifacts. Default true. */
  artifacts: z.boolean().default(true),
  /** How often the checkpoint thread copies the WAL back into the database. Default 100 ms. */
  checkpointMs: positive('checkpointMs').default(100),
  /** Encryption for API keys kept with profiles: the desktop app's safeStorage. Without it no key is kept. */
  secrets: z.custom<SecretBox>((value) => typeof value === 'object' && value !== null && 'encrypt' in value && 'decrypt' in value).optional(),
  /** better-sqlite3 built for Electron's ABI, when the desktop app runs (scripts/desktop.js builds it). */
  sqliteBinding: z.string().optional(),
  events: z
    .object({ changesMs: positive('changesMs'), countsMs: positive('countsMs'), progressMs: positive('progressMs'), maxChanges: positive('maxChanges') })
    .default(DEFAULT_EVENT_TIMING),
})
export type EngineConfig = z.input<typeof EngineConfig>

export interface Engine {
  readonly dataDir: string
  call<K extends OperationName>(name: K, input?: unknown): Promise<OperationOutput<K>>
  subscribe(listener: (event: EngineEvent) => void): () => void
  /** Resolves once nothing is running and every result is committed. */
  idle(): Promise<void>
  /** Stops claiming, waits for running attempts up to `timeoutMs` (default 10 s), closes. */
  close(timeoutMs?: number): Promise<void>
}

export async function createEngine(input: EngineConfig): Promise<Engine> {
  const parsed = EngineConfig.safeParse(input)
  if (!parsed.success) throw new TypeError(`createEngine: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`)
  const config = parsed.data

  const store = SqliteQueueStore.open(databaseFile(config.dataDir), { nativeBinding: config.sqliteBinding })
  const checkpointer = startCheckpointer(store.db, {
    threadFile: CHECKPOINT_THREAD_FILE,
    intervalMs: config.checkpointMs,
    nativeBinding: config.sqliteBinding,
    onError: (message) => console.error(`genops: ${message}`),
  })
  const hub = new EventHub(async () => store.stats(Date.now()), config.events)
  const pool = new AttemptPool(
    { workerFile: config.workerFile, threads: config.threads, tasksPerThread: Math.ceil(config.concurrency / config.threads) },
    (message) => {
      // Progress arrives only once attempts run, after the scheduler below exists.
      scheduler.noteProgress(message)
      hub.progressed({ id: message.id, fraction: message.fraction, outputTokens: message.outputTokens, elapsedMs: message.elapsedMs })
    },
  )
  const scheduler = new Scheduler(
    store,
    pool,
    { ...config, artifactsDir: config.artifacts ? join(config.dataDir, 'artifacts') : null },
    {
      onChanges: (changes) => hub.jobsChanged(changes),
      onCountsMayChange: () => hub.countsMayChange(),
      onError: (error, during) => console.error(`genops: ${during} failed:`, error),
    },
  )
  const handlers: Handlers = createHandlers(
    store,
    {
      jobsChanged: (changes) => hub.jobsChanged(changes),
      countsMayChange: () => hub.countsMayChange(),
      abort: (id) => scheduler.abort(id),
      paused: (paused) => scheduler.setPaused(paused),
      kick: () => scheduler.kick(),
      profilesChanged: () => scheduler.reloadProfiles(),
    },
    config.secrets,
  )
  try {
    await scheduler.start()
  } catch (error) {
    await pool.destroy()
    await checkpointer.stop()
    store.close()
    throw error
  }

  let closed: Promise<void> | undefined
  return {
    dataDir: config.dataDir,
    call: (name, callInput) => invoke(handlers, name, callInput),
    subscribe: (listener) => hub.subscribe(listener),
    idle: () => scheduler.idle(),
    close(timeoutMs = 10_000) {
      closed ??= (async () => {
        await scheduler.stop(timeoutMs)
        hub.close()
        await pool.destroy()
        await checkpointer.stop()
        store.close()
      })()
      return closed
    },
  }
}
