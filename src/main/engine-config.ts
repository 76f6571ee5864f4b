/**
 * What an engine is configured with: every option, its default and its check, in one zod
 * schema. The settings screen, the shared settings and `genops settings` read their names
 * and defaults from here; createEngine (engine.ts) refuses a config this does not accept.
 */
import { availableParallelism } from 'node:os'
import { z } from 'zod'
import { AlertsConfig } from './alerts/engine-alerts'
import { BackupsConfig } from './store/sqlite/db/daily-backups'
import { STORE_URL, STORE_URL_PROBLEM } from './store/store-url'
import { DEFAULT_EVENT_TIMING } from './event-hub'
import { DEFAULT_MIN_FREE_DISK_BYTES } from './health/checks'
import { WORKER_FILE } from './paths'
import { BatchLaneConfig } from './provider-batches/options'
import { DEFAULT_BACKOFF } from './queue/backoff'
import { DEFAULT_BREAKER } from './resilience/breakers'
import { DEFAULT_CONCURRENCY } from './resilience/concurrency-limit'
import { DEFAULT_GATES } from './resilience/gates'
import type { SecretBox } from './secret-box'
import { LogsConfig } from './telemetry/log'
import { MetricsConfig } from './telemetry/metrics-config'
import { DEFAULT_ROLLUP_KEEPER } from './telemetry/rollups-keeper'
import { TracesConfig } from './telemetry/traces'

const DAY = 86_400_000
const positive = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a positive integer`)
    .positive(`${name} must be a positive integer`)
const retentionRule = z.object({ maxCount: z.number().int().min(0), maxAgeMs: z.number().int().min(0) })

export const EngineConfig = z.object({
  /** Where genops.db lives (see paths.dataDir). */
  dataDir: z.string().min(1, 'dataDir is required'),
  /**
   * A team's queue on PostgreSQL (postgres://user:password@host:5432/database), shared with the
   * other engines on it; absent, the SQLite file in dataDir. The data directory still holds this
   * engine's logs, settings and artifacts.
   */
  store: z.string().regex(STORE_URL, STORE_URL_PROBLEM).optional(),
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
  /** When a provider's breaker opens and how long it stays open (see resilience/breakers.ts for the defaults). */
  breaker: z
    .object({
      failureRatio: z.number().gt(0, 'breaker.failureRatio must be above 0').max(1, 'breaker.failureRatio must be at most 1'),
      window: positive('breaker.window'),
      minimumAttempts: positive('breaker.minimumAttempts'),
      openMs: positive('breaker.openMs'),
      maxOpenMs: positive('breaker.maxOpenMs'),
    })
    .default(DEFAULT_BREAKER),
  /** Breakers on (default). Off only to measure what they save. */
  breakers: z.boolean().default(true),
  /** The length of the rate windows (60 s), and how many Retry-After answers within how long cool a whole provider down (3 within 3 s). */
  rateLimits: z
    .object({
      windowMs: positive('rateLimits.windowMs'),
      cooldownAfter: positive('rateLimits.cooldownAfter'),
      cooldownWithinMs: positive('rateLimits.cooldownWithinMs'),
    })
    .default({ windowMs: DEFAULT_GATES.rateWindowMs, cooldownAfter: DEFAULT_GATES.cooldownAfter, cooldownWithinMs: DEFAULT_GATES.cooldownWithinMs }),
  /** The concurrency limit learned per provider and model from 429s and surges of 5xx (see resilience/concurrency-limit.ts). */
  adaptiveConcurrency: z
    .object({
      enabled: z.boolean(),
      window: positive('adaptiveConcurrency.window'),
      backoffRatio: z.number().gt(0, 'adaptiveConcurrency.backoffRatio must be above 0').lt(1, 'adaptiveConcurrency.backoffRatio must be below 1'),
    })
    .default(DEFAULT_CONCURRENCY),
  workerFile: z.string().default(WORKER_FILE),
  /** Write each completed attempt's output to a file in artifactsDir (the output is in the store either way). Default true. */
  artifacts: z.boolean().default(true),
  /**
   * Where those files go; default <dataDir>/artifacts. On a team store, a directory every
   * engine can reach (a shared mount), so each job's file is where any engine looks for it.
   */
  artifactsDir: z.string().min(1, 'artifactsDir must name a directory').optional(),
  /** How often the checkpoint thread copies the WAL back into the database. Default 100 ms. */
  checkpointMs: positive('checkpointMs').default(100),
  /**
   * A file holding the team's key (one line of 32 characters or more, mode 0600; relative to
   * dataDir when relative): it seals and opens the API keys kept with profiles on every engine
   * that is given the same file. On a team store it is the only way keys are kept.
   */
  teamKeyFile: z.string().min(1, 'teamKeyFile must name a file').optional(),
  /** The machine keychain for API keys kept with profiles: the desktop app's safeStorage. Not used on a team store. */
  secrets: z.custom<SecretBox>((value) => typeof value === 'object' && value !== null && 'encrypt' in value && 'decrypt' in value).optional(),
  /** better-sqlite3 built for Electron's ABI, when the desktop app runs (scripts/desktop.js builds it). */
  sqliteBinding: z.string().optional(),
  events: z
    .object({ changesMs: positive('changesMs'), countsMs: positive('countsMs'), progressMs: positive('progressMs'), maxChanges: positive('maxChanges') })
    .default(DEFAULT_EVENT_TIMING),
  health: z
    .object({
      /** Free disk for the data directory below which the engine is unhealthy (it warns below twice this). Default 500 MiB. */
      minFreeDiskBytes: z
        .number({ error: 'health.minFreeDiskBytes must be a number' })
        .int('health.minFreeDiskBytes must be a whole number of bytes')
        .min(0, 'health.minFreeDiskBytes must be 0 or more')
        .default(DEFAULT_MIN_FREE_DISK_BYTES),
    })
    .default({ minFreeDiskBytes: DEFAULT_MIN_FREE_DISK_BYTES }),
  /** Prometheus metrics, recorded by default, and the exporter that serves them (off unless enabled: see telemetry/metrics-config). */
  metrics: MetricsConfig.prefault({}),
  /** Spans of every attempt, kept in the database and exported over OTLP when configured (see telemetry/traces). */
  traces: TracesConfig.prefault({}),
  /** JSON lines in <dataDir>/logs, rolled by size (see telemetry/log). */
  logs: LogsConfig.prefault({}),
  /** The dashboard's figures: how often queue depth is sampled, and old rollup buckets pruned. Default 5 s and 1 min. */
  rollups: z.object({ sampleMs: positive('rollups.sampleMs'), pruneMs: positive('rollups.pruneMs') }).default(DEFAULT_ROLLUP_KEEPER),
  /** Alert rules evaluated on an interval, and where their notifications go besides the events and the log (see alerts/engine-alerts). */
  alerts: AlertsConfig.prefault({}),
  /** Daily backups into <dataDir>/backups, kept 7 days within a size cap (see db/daily-backups). */
  backups: BackupsConfig.prefault({}),
  /** Identical requests reuse a completed answer unless a job says `cache: false` (shared setting cache.enabled; see cache/answers). */
  cache: z.object({ enabled: z.boolean({ error: 'cache.enabled must be true or false' }) }).default({ enabled: true }),
  /** Jobs on the batch lane go through the providers' batch APIs: how often they are gathered and polled, and the providers' limits (see provider-batches/options). */
  batchLane: BatchLaneConfig.prefault({}),
})
export type EngineConfig = z.input<typeof EngineConfig>
