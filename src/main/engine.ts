/**
 * The engine: the queue, the scheduler, the worker pool and the event stream, behind
 * the contract's operations. Plain Node, no Electron: the desktop shell, headless mode
 * and the CLI's `run` all create one of these.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { OperationError, type EngineEvent, type OperationName, type OperationOutput } from '../shared/contract'
import { AlertsConfig, engineAlerts } from './alerts/engine-alerts'
import { sweepTemporaries } from './artifacts/sweep'
import { EngineCosts } from './costs/runtime'
import { loadPriceList } from './costs/pricing'
import { DEFAULT_BACKOFF } from './queue/backoff'
import { DEFAULT_BREAKER, type BreakerStatus } from './resilience/breakers'
import { DEFAULT_CONCURRENCY, type ConcurrencyLimitInfo } from './resilience/concurrency-limit'
import { DEFAULT_GATES } from './resilience/gates'
import { DEFAULT_EVENT_TIMING, EventHub } from './event-hub'
import { createHandlers, invoke, type Handlers } from './operations'
import { startCheckpointer } from './db/checkpointer'
import { BackupsConfig, startDailyBackups } from './db/daily-backups'
import { startStagedFileSweep } from './staged-files'
import { damageSummary, DatabaseDamagedError, isDamage, namedDamage } from './db/damage'
import { announceEngine, withdrawEngine } from './engine-discovery'
import { engineSettingRows } from './settings/rows'
import { followSharedSettings } from './settings/shared'
import { startIntegrityCheck } from './db/integrity'
import { budgetUsedByScope } from './alerts/signals'
import { breakerCheck, DEFAULT_MIN_FREE_DISK_BYTES, engineHealth, freeDiskBytes } from './health/checks'
import type { HealthRegistry } from './health/registry'
import { commitProbe, DiskFull } from './health/disk-full'
import { backupsDir, CHECKPOINT_THREAD_FILE, databaseFile, INTEGRITY_THREAD_FILE, WORKER_FILE } from './paths'
import { AttemptPool } from './queue/pool'
import { Scheduler } from './queue/scheduler'
import { SqliteQueueStore } from './queue/sqlite'
import { countHeldBy } from './queue/sqlite/held'
import type { QueueStore } from './queue/store'
import { databaseSizeBytes } from './db/size'
import { startExporter, type ExporterAddress } from './telemetry/metrics-exporter'
import { measuredStore } from './telemetry/measured-store'
import { EngineMetrics } from './telemetry/metrics'
import { MetricsConfig } from './telemetry/metrics-config'
import { LogsConfig } from './telemetry/log'
import { logsDir } from './telemetry/log'
import { openLogsAndTraces } from './telemetry/logs-and-traces'
import { TracesConfig } from './telemetry/traces'
import { BatchLaneConfig } from './provider-batches/options'
import { startBatchLane } from './provider-batches/engine-lane'
import type { BatchLane } from './provider-batches/lane'
import { SqliteProviderBatchStore } from './queue/sqlite/provider-batches'
import { DEFAULT_ROLLUP_KEEPER } from './telemetry/rollups-keeper'
import type { SecretBox } from './secrets'

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

export interface Engine {
  readonly dataDir: string
  call<K extends OperationName>(name: K, input?: unknown): Promise<OperationOutput<K>>
  subscribe(listener: (event: EngineEvent) => void): () => void
  /** The health checks; parts that come and go (breakers, the exporter) register theirs here. */
  readonly health: HealthRegistry
  /** The engine's Prometheus metrics (`text()` for a support bundle); null when metrics are off. */
  readonly metrics: EngineMetrics | null
  /** Where the metrics exporter listens; null when it is off or could not listen (the `exporter` health check says why). */
  readonly exporterAddress: ExporterAddress | null
  /** Resolves once nothing is running and every result is committed. */
  idle(): Promise<void>
  /** Due jobs that wait for an operator (the queue or their provider or batch paused, a breaker held open, a budget reached), not for time. */
  waitingOnOperator(): Promise<number>
  /** Stops claiming, waits for running attempts up to `timeoutMs` (default 10 s), closes. */
  close(timeoutMs?: number): Promise<void>
}

export async function createEngine(input: EngineConfig): Promise<Engine> {
  const parsed = EngineConfig.safeParse(input)
  if (!parsed.success) throw new TypeError(`createEngine: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`)
  const config = parsed.data
  // Before anything is opened: a damaged price list is a clear error, not a half-started engine.
  const listPrices = loadPriceList()

  const store = SqliteQueueStore.open(databaseFile(config.dataDir), { nativeBinding: config.sqliteBinding })
  // Hears every write failure before it is reported: a full disk pauses the engine instead of ending it.
  const diskFull = new DiskFull({ dataDir: config.dataDir })
  const telemetry = await openLogsAndTraces(store, { dataDir: config.dataDir, logs: config.logs, traces: config.traces, diskFull }).catch((error: unknown) => {
    store.close()
    throw error
  })
  // Retention, backoff and breaker thresholds as the store holds them for every process on the queue.
  const settingDefaults = EngineConfig.parse({ dataDir: config.dataDir })
  const sharedSettings = await followSharedSettings({
    store,
    schema: EngineConfig,
    config,
    explicit: input,
    defaults: settingDefaults,
    onError: (error, during) => telemetry.error(error, during),
    warn: (message) => telemetry.warn(message),
  }).catch(async (error: unknown) => {
    await telemetry.close()
    store.close()
    throw error
  })
  const checkpointer = startCheckpointer(store.db, {
    threadFile: CHECKPOINT_THREAD_FILE,
    intervalMs: config.checkpointMs,
    nativeBinding: config.sqliteBinding,
    onError: (message, code) => {
      if (!diskFull.noteFailure({ code }, 'copying the WAL into the database')) telemetry.warn(message)
    },
  })
  // quick_check reads the whole file: on its own thread, while the rest starts; health says "checking" meanwhile.
  const integrity = startIntegrityCheck(store.db.name, { threadFile: INTEGRITY_THREAD_FILE, nativeBinding: config.sqliteBinding })
  let stopping = false
  void integrity.done.then((found) => {
    if (stopping) return
    if (found.state === 'damaged') {
      const notice = { level: 'critical' as const, message: new DatabaseDamagedError(store.db.name, `is damaged (${damageSummary(found.problems)})`).message }
      telemetry.notice(notice)
      hub.notice(notice)
    } else if (found.state === 'unknown') telemetry.warn(`${store.db.name} could not be checked for damage: ${found.reason}`)
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
  const report = (error: unknown, during: string) => {
    if (isDamage(error)) integrity.noteDamage((error as Error).message)
    telemetry.error(error, during)
  }
  const metrics: EngineMetrics | null = config.metrics.enabled
    ? new EngineMetrics({
        store: store.metrics,
        queueStats: () => store.stats(Date.now()),
        heldJobs: (dueQueued): number => countHeldBy(store.db, scheduler.gates, dueQueued, (track, now) => scheduler.gates.heldReason(track, now) !== null),
        pool,
        breakers: (): BreakerStatus[] => scheduler.gates.breakers.list(),
        concurrencyLimits: (): ConcurrencyLimitInfo[] => scheduler.gates.concurrency.list(),
        dbSizeBytes: () => databaseSizeBytes(store.db),
        budgetsUsed: async () => budgetUsedByScope(await store.costs.budgets(Date.now())),
        freeDiskBytes: () => freeDiskBytes(config.dataDir),
      })
    : null
  // Claims, settles, enqueues and cancels pass through here, whoever makes them: each is timed, finished jobs' durations observed.
  const queue: QueueStore = metrics ? measuredStore(store, metrics, report) : store
  const costs: EngineCosts = new EngineCosts(
    store,
    {
      notice: (notice) => {
        telemetry.notice(notice)
        hub.notice(notice)
      },
      onError: report,
      reloadGates: (): Promise<void> => scheduler.reloadGates(),
    },
    { ...config.rollups, pollMs: config.pollMs, listPrices },
  )
  const scheduler = new Scheduler(
    queue,
    pool,
    { ...config, artifactsDir: config.artifacts ? join(config.dataDir, 'artifacts') : null, pricing: costs.prices, budgets: costs.budgets },
    {
      onChanges: (changes) => hub.jobsChanged(changes),
      onCountsMayChange: () => hub.countsMayChange(),
      onError: report,
      onNotice: (notice) => {
        telemetry.notice(notice)
        hub.notice(notice)
      },
      onBreakerChange: ({ breaker, to }) => {
        metrics?.breakerChanged({ breaker, to })
        if (!health.has(`breaker:${breaker}`)) health.register(breakerCheck(breaker, () => scheduler.gates.breakers.status(breaker)))
        hub.countsMayChange()
      },
      onHold: metrics ? (provider, kind) => metrics.held(provider, kind) : undefined,
      onConcurrencyDecrease: (decrease) => {
        metrics?.concurrencyDecreased(decrease)
        const why = decrease.signal === 'rate_limit' ? 'a 429' : 'server failures well above their usual share'
        telemetry.log.info(`concurrency of ${decrease.name} lowered from ${decrease.from} to ${decrease.to} (${why})`)
      },
      onAttemptEnded: metrics ? (attempt) => metrics.attemptEnded(attempt) : undefined,
      beginTrace: telemetry.beginTrace,
      onTrace: (attempt) => telemetry.attemptEnded(attempt),
      afterSettle: () => costs.afterSettle(),
      diskFull: () => diskFull.full,
      onDiskFull: (code, during) => diskFull.noteRefusal(code, during),
    },
  )
  const health = engineHealth({
    db: store.db,
    dataDir: config.dataDir,
    pool,
    isPaused: () => scheduler.isPaused(),
    providerPauses: () => queue.providerPauses(),
    minFreeDiskBytes: config.health.minFreeDiskBytes,
    writesRefused: () => diskFull.refusedBecause(),
    integrity,
  })
  const alerts = engineAlerts(config.alerts, {
    store: queue,
    dataDir: config.dataDir,
    queueStats: (now) => queue.stats(now),
    breakers: () => scheduler.gates.breakers.list(),
    budgets: (now) => queue.costs.budgets(now),
    emit: (transition) => hub.alert(transition),
    log: telemetry,
    setFiring: metrics ? (firing) => metrics.setAlertsFiring(firing) : undefined,
    onError: report,
  })
  const handlers: Handlers = createHandlers(
    queue,
    {
      logsDir: logsDir(config.dataDir),
      jobsChanged: (changes) => hub.jobsChanged(changes),
      countsMayChange: () => hub.countsMayChange(),
      abort: (id) => scheduler.abort(id),
      paused: (paused) => scheduler.setPaused(paused),
      kick: () => scheduler.kick(),
      profilesChanged: () => scheduler.reloadProfiles(),
      health,
      resilience: { gates: scheduler.gates, reloadGates: () => scheduler.reloadGates() },
      costs,
      alerts: alerts?.runner,
      intakeMetrics: metrics?.intake,
      loadProgress: (progress) => hub.intakeLoad(progress),
      diagnostics: { dataDir: config.dataDir, metricsText: async () => (metrics ? metrics.text() : null), nativeBinding: config.sqliteBinding },
      settings: () => engineSettingRows({ dataDir: config.dataDir, config, defaults: settingDefaults, store, schema: EngineConfig }),
      settingsSchema: EngineConfig,
    },
    config.secrets,
  )
  // Before the scheduler starts, so readiness probes see "starting" rather than nothing.
  const exporter = config.metrics.exporter.enabled
    ? await startExporter(config.metrics.exporter, { metrics, health, owner: scheduler.owner, onError: (message) => telemetry.warn(message) })
    : null
  health.register(diskFull.check())
  let batchLane: BatchLane | undefined
  try {
    // Before the first claim: on a disk already full, nothing starts.
    diskFull.attach({
      retry: async () => {
        commitProbe(store.db)
        await scheduler.flushAfterDiskFull()
      },
      notice: (notice) => {
        telemetry.notice(notice)
        hub.notice(notice)
      },
      resumed: () => hub.countsMayChange(),
      droppedLogLines: () => telemetry.droppedLogLines,
    })
    await scheduler.start()
    batchLane = startBatchLane({
      store: new SqliteProviderBatchStore(store.db),
      cache: store.cache,
      config: config.batchLane,
      scheduler,
      backoff: config.backoff,
      pricing: costs.prices,
      artifactsDir: config.artifacts ? join(config.dataDir, 'artifacts') : null,
      onChanges: (changes) => {
        hub.jobsChanged(changes)
        hub.countsMayChange()
      },
      onError: report,
      onAttemptEnded: metrics ? (attempt) => metrics.attemptEnded(attempt) : undefined,
      onFinished: metrics ? (finished) => metrics.jobsFinished(finished) : undefined,
    })
    await costs.start()
    await alerts?.runner.start()
    telemetry.start(config.retentionSweepMs)
    if (config.artifacts) {
      sweepTemporaries(join(config.dataDir, 'artifacts')).then(
        (removed) => removed > 0 && telemetry.warn(`removed ${removed} temporary artifact files left by attempts that stopped mid-write`),
        (error: unknown) => report(error, 'sweeping temporary artifact files'),
      )
    }
    health.markReady()
    // `genops health` beside this engine asks it (serve adds its API once it listens); a write refused is only a warning.
    try {
      const { token } = config.metrics.exporter
      announceEngine(config.dataDir, { metrics: exporter?.address ? { url: new URL(exporter.address.url).origin, ...(token ? { token } : {}) } : null })
    } catch (error) {
      telemetry.warn(`could not write the discovery file in ${config.dataDir}: ${(error as Error).message}`)
    }
  } catch (error) {
    stopping = true
    integrity.stop()
    sharedSettings.stop()
    diskFull.close()
    await batchLane?.close()
    await alerts?.close()
    costs.stop()
    await exporter?.close()
    health.close()
    await pool.destroy()
    await checkpointer.stop()
    await telemetry.close()
    store.close()
    throw error
  }

  const backups = startDailyBackups(config.backups, {
    db: store.db,
    dir: backupsDir(config.dataDir),
    integrity,
    freeDiskBytes: () => freeDiskBytes(config.dataDir),
    minFreeDiskBytes: config.health.minFreeDiskBytes,
    threadFile: INTEGRITY_THREAD_FILE,
    nativeBinding: config.sqliteBinding,
    log: { info: (message) => telemetry.log.info(message), warn: (message) => telemetry.warn(message) },
  })
  const staged = startStagedFileSweep(config.dataDir, (error) => telemetry.warn(`removing old exports and bundles: ${(error as Error).message}`))
  // A read that meets a damaged page answers with the file and what to do, and turns health unhealthy.
  const namingDamage = (error: unknown): never => {
    const named = namedDamage(error, store.db.name)
    if (!(named instanceof DatabaseDamagedError)) throw error
    integrity.noteDamage((error as Error).message)
    throw new OperationError('INTERNAL', named.message)
  }

  let closed: Promise<void> | undefined
  return {
    dataDir: config.dataDir,
    call: (name, callInput) => invoke(handlers, name, callInput).catch(namingDamage),
    subscribe: (listener) => hub.subscribe(listener),
    health,
    metrics,
    exporterAddress: exporter?.address ?? null,
    idle: () => scheduler.idle(),
    waitingOnOperator: async () => {
      const stats = store.stats(Date.now())
      if (stats.paused) return stats.counts.queued
      return countHeldBy(store.db, scheduler.gates, stats.counts.queued, (track, now) => scheduler.gates.heldUntilActedOn(track, now))
    },
    close(timeoutMs = 10_000) {
      closed ??= (async () => {
        // Readiness probes, and `genops health`, see the engine going away before its parts do.
        withdrawEngine(config.dataDir)
        health.close()
        stopping = true
        integrity.stop()
        sharedSettings.stop()
        const backupsStopped = backups.stop()
        staged.stop()
        costs.stop()
        // The last transitions' webhook posts go out (or give up) while the engine stops.
        const alertsClosed = alerts?.close()
        // No retry races the scheduler's last commit.
        diskFull.close()
        await batchLane?.close()
        await scheduler.stop(timeoutMs)
        if (scheduler.uncommitted > 0 && diskFull.full) {
          telemetry.warn(`closing with the disk full: ${scheduler.uncommitted} finished attempts could not be committed; their jobs run again once their leases expire`)
        }
        await alertsClosed
        // Scrapes answer while attempts finish; not once the database below is closed.
        await exporter?.close()
        hub.close()
        await pool.destroy()
        await checkpointer.stop()
        await backupsStopped
        // The last attempts' spans, written while the database is still open.
        await telemetry.close()
        store.close()
      })()
      return closed
    },
  }
}
