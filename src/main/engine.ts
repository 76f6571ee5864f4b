/**
 * The engine: the queue, the scheduler, the worker pool and the event stream, behind
 * the contract's operations. Plain Node, no Electron: the desktop shell, headless mode
 * and the CLI's `run` all create one of these.
 */
import { resolve } from 'node:path'
import { OperationError, type EngineEvent, type OperationName, type OperationOutput } from '../shared/contract'
import { engineAlerts } from './alerts/engine-alerts'
import { sweepTemporaries } from './artifacts/sweep'
import { EngineCosts } from './costs/runtime'
import { loadPriceList } from './costs/pricing'
import type { BreakerStatus } from './resilience/breakers'
import type { ConcurrencyLimitInfo } from './resilience/concurrency-limit'
import { EventHub } from './event-hub'
import { createHandlers, invoke, type Handlers } from './operations'
import { startStagedFileSweep } from './staged-files'
import { damageSummary, DatabaseDamagedError, isDamage } from './store/sqlite/db/damage'
import { announceEngine, withdrawEngine } from './engine-discovery'
import { engineSettingRows } from './settings/rows'
import { followSharedSettings } from './settings/shared'
import { budgetUsedByScope } from './alerts/signals'
import { breakerCheck, engineHealth, freeDiskBytes, profileKeysOpen } from './health/checks'
import type { HealthRegistry } from './health/registry'
import { DiskFull } from './health/disk-full'
import { backupsDir } from './paths'
import { AttemptPool } from './queue/pool'
import { Scheduler } from './queue/scheduler'
import { openStore } from './store/open'
import type { QueueStore } from './queue/store'
import { startExporter, type ExporterAddress } from './telemetry/metrics-exporter'
import { measuredStore } from './telemetry/measured-store'
import { EngineMetrics } from './telemetry/metrics'
import { logsDir } from './telemetry/log'
import { openLogsAndTraces } from './telemetry/logs-and-traces'
import { startBatchLane } from './provider-batches/engine-lane'
import { startWorkerBeat } from './workers'
import type { BatchLane } from './provider-batches/lane'
import { EngineConfig } from './engine-config'
import { profileKeyBox } from './secrets'
import { teamKeyBox } from './team-key'

export { EngineConfig } from './engine-config'

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
  // A relative artifactsDir is the data directory's (where settings.json names it), not the directory the engine started in.
  const artifactsDir = config.artifacts ? resolve(config.dataDir, config.artifactsDir ?? 'artifacts') : null

  // Before the store: a team key file that cannot be used is a clear error, not an engine that cannot open its keys.
  const keys = profileKeyBox({
    keychain: config.secrets,
    teamKey: config.teamKeyFile === undefined ? undefined : teamKeyBox(resolve(config.dataDir, config.teamKeyFile)),
    teamStore: config.store !== undefined,
  })
  const store = await openStore({ dataDir: config.dataDir, url: config.store, nativeBinding: config.sqliteBinding })
  // Hears every write failure before it is reported: a full disk pauses the engine instead of ending it.
  const diskFull = new DiskFull({ dataDir: config.dataDir })
  const telemetry = await openLogsAndTraces(store, { dataDir: config.dataDir, logs: config.logs, traces: config.traces, diskFull }).catch(
    async (error: unknown) => {
      await store.close()
      throw error
    },
  )
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
    await store.close()
    throw error
  })
  const { upkeep } = store
  const running = upkeep.start(
    {
      onWriteFailure: (message, code) => {
        if (!diskFull.noteFailure({ code }, 'copying the WAL into the database')) telemetry.warn(message)
      },
      log: { info: (message) => telemetry.log.info(message), warn: (message) => telemetry.warn(message) },
    },
    { checkpointMs: config.checkpointMs },
  )
  const { integrity } = running
  let stopping = false
  void integrity.done.then((found) => {
    if (stopping) return
    if (found.state === 'damaged') {
      const notice = { level: 'critical' as const, message: new DatabaseDamagedError(upkeep.name, `is damaged (${damageSummary(found.problems)})`).message }
      telemetry.notice(notice)
      hub.notice(notice)
    } else if (found.state === 'unknown') telemetry.warn(`${upkeep.name} could not be checked for damage: ${found.reason}`)
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
        heldJobs: (dueQueued) => upkeep.heldJobs(scheduler.gates, dueQueued, (track, now) => scheduler.gates.heldReason(track, now) !== null),
        pool,
        breakers: (): BreakerStatus[] => scheduler.gates.breakers.list(),
        concurrencyLimits: (): ConcurrencyLimitInfo[] => scheduler.gates.concurrency.list(),
        dbSizeBytes: () => upkeep.sizeBytes(),
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
    { ...config, artifactsDir, keys, pricing: costs.prices, budgets: costs.budgets },
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
    storeChecks: upkeep.healthChecks({ minFreeDiskBytes: config.health.minFreeDiskBytes, writesRefused: () => diskFull.refusedBecause(), integrity }),
    pool,
    isPaused: () => scheduler.isPaused(),
    providerPauses: () => queue.providerPauses(),
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
      checkProgress: (progress) => hub.intakeCheck(progress),
      diagnostics: { dataDir: config.dataDir, metricsText: async () => (metrics ? metrics.text() : null) },
      settings: () => engineSettingRows({ dataDir: config.dataDir, config, defaults: settingDefaults, store, schema: EngineConfig }),
      settingsSchema: EngineConfig,
      worker: scheduler.owner,
    },
    keys,
  )
  // Before the scheduler starts, so readiness probes see "starting" rather than nothing.
  const exporter = config.metrics.exporter.enabled
    ? await startExporter(config.metrics.exporter, { metrics, health, owner: scheduler.owner, onError: (message) => telemetry.warn(message) })
    : null
  health.register(diskFull.check())
  health.register(profileKeysOpen(() => scheduler.gates.unusable))
  let batchLane: BatchLane | undefined
  let workerBeat: { stop(): Promise<void> } | undefined
  try {
    // Before the first claim: on a disk already full, nothing starts.
    diskFull.attach({
      retry: async () => {
        await upkeep.commitProbe()
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
    // On the Workers panel of every process on the store from now on, with the jobs it holds.
    workerBeat = startWorkerBeat(store, scheduler.owner, report)
    // A store without a batch lane refuses batch-lane jobs at intake, so none wait for one.
    if (store.providerBatches)
      batchLane = startBatchLane({
        store: store.providerBatches,
        workers: store.workers,
        cache: store.cache,
        config: config.batchLane,
        scheduler,
        backoff: config.backoff,
        pricing: costs.prices,
        artifactsDir,
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
    if (artifactsDir !== null) {
      sweepTemporaries(artifactsDir).then(
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
    await workerBeat?.stop().catch(() => undefined)
    await alerts?.close()
    costs.stop()
    await exporter?.close()
    health.close()
    await pool.destroy()
    await running.stop()
    await telemetry.close()
    await store.close()
    throw error
  }

  const backups = running.startBackups(config.backups, {
    dir: backupsDir(config.dataDir),
    freeDiskBytes: () => freeDiskBytes(config.dataDir),
    minFreeDiskBytes: config.health.minFreeDiskBytes,
  })
  const staged = startStagedFileSweep(config.dataDir, (error) => telemetry.warn(`removing old exports and bundles: ${(error as Error).message}`))
  // A read that meets a damaged page answers with the file and what to do, and turns health unhealthy.
  const namingDamage = (error: unknown): never => {
    const named = upkeep.namedDamage(error)
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
      const stats = await store.stats(Date.now())
      if (stats.paused) return stats.counts.queued
      return upkeep.heldJobs(scheduler.gates, stats.counts.queued, (track, now) => scheduler.gates.heldUntilActedOn(track, now))
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
        await workerBeat?.stop().catch((error: unknown) => report(error, 'marking this engine stopped'))
        if (scheduler.uncommitted > 0 && diskFull.full) {
          telemetry.warn(
            `closing with the disk full: ${scheduler.uncommitted} finished attempts could not be committed; their jobs run again once their leases expire`,
          )
        }
        await alertsClosed
        // Scrapes answer while attempts finish; not once the database below is closed.
        await exporter?.close()
        hub.close()
        await pool.destroy()
        await running.stop()
        await backupsStopped
        // The last attempts' spans, written while the database is still open.
        await telemetry.close()
        await store.close()
      })()
      return closed
    },
  }
}
