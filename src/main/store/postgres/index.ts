/**
 * The queue store on PostgreSQL, for a team whose engines share one queue: a pg pool, the
 * store's own migrations, a change feed (LISTEN/NOTIFY) for what other engines commit, and
 * the ports beside the queue core (costs, alerts, cache, metrics, batches, workers, upkeep).
 * Every method answers with a promise; each write is one transaction.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { StoredState } from '../../../shared/jobs'
import type { ProviderProfile } from '../../../shared/providers'
import type { StoredSpan } from '../../../shared/traces'
import type { AlertStore } from '../../alerts/store'
import type { BatchStore } from '../../batches/store'
import type { ResponseCacheStore } from '../../cache/store'
import type { CostStore } from '../../costs/store'
import type {
  AttemptResult,
  BreakerEvent,
  ClaimOptions,
  DeadListOptions,
  DeadSelection,
  EnqueueOptions,
  FinishedJob,
  ListOptions,
  LoadOptions,
  LoadProgress,
  NewJob,
  QueueStore,
  RecoverOptions,
  ResealedKey,
  RetentionPolicy,
} from '../../queue/store'
import type { MetricStore } from '../../telemetry/metric-store'
import type { StoreUpkeep } from '../upkeep'
import type { WorkerStore } from '../workers'
import { PostgresAlertStore } from './alerts'
import { batchCapsExist, pauseBatch, pausedBatches, resumeBatch, setBatchLimit } from './batch-pauses'
import { PostgresBatchStore } from './batches'
import { breakerCounts, breakerEventsAfter, breakerHistory, lastBreakerEventId, recordBreakerEvent } from './breaker-events'
import { PostgresResponseCacheStore } from './cache'
import { ChangeFeed, type ChangeListener } from './change-feed'
import { claimJobs, extendLeases, leaseOwners, lostLeases } from './claim'
import { connectionConfig, openPool, type PoolOptions } from './connect'
import { PostgresCostStore } from './costs'
import { deadStats, listDead, purgeDead, retryAllDead, retryDead } from './dead'
import { enqueueJobs, refreshStatistics } from './enqueue'
import { PostgresLoad } from './load'
import { listFailureGroups, listRegressions, noteRegressionRun, pinFailureGroup } from './failures'
import { jobFilterOptions, listJobs } from './list'
import { applyRetention, cancelJob, cleanJobs, removeJob, retryJob } from './manage'
import { PostgresMetricStore } from './metric-store'
import { migratePostgres } from './migrate'
import { listProfiles, profileSecrets, removeProfile, resealProfileSecrets, saveProfile, setProfileSecret } from './profiles'
import { damagedProfileSaid } from '../sqlite/queue/profiles'
import { pauseProvider, providerPauses, resumeProvider } from './provider-pauses'
import { coolDown, quotaReadingsExist } from './rate-state'
import { getJob, isPaused, queueStats, setPaused } from './read'
import { recoverStalled } from './recover'
import { PostgresProviderBatchStore } from './provider-batches'
import { settleAttempts } from './settle'
import { setSharedSetting, sharedSettings } from './shared-settings'
import { jobSpans, pruneSpans, saveSpans } from './spans'
import { inTransaction } from './transaction'
import { PostgresUpkeep } from './upkeep'
import { PostgresWorkerStore } from './workers'

export class PostgresQueueStore implements QueueStore {
  /** Each settle and claim takes its own pooled connection. */
  readonly concurrentWrites = true
  // The ports beside the queue core, each over the same pool (assigned in the constructor).
  /** Prices, budgets, cost reports and the dashboard's series, over the rollups this store's settle keeps. */
  readonly costs: CostStore
  /** Alert rules, states and history, shared by every engine on the database. */
  readonly alerts: AlertStore
  /** The response cache's lookups, totals and clearing. */
  readonly cache: ResponseCacheStore
  /** The store-wide metric totals and the exporter lease. */
  readonly metrics: MetricStore
  /** Batches' progress, sources and jobs a page at a time (src/main/batches). */
  readonly batches: BatchStore
  /** The store's own care: a commit probe, its size, its URL named in errors; the rest is the server's. */
  readonly upkeep: StoreUpkeep
  /** The engines working this queue (src/main/workers.ts). */
  readonly workers: WorkerStore
  /** The batch lane's provider batches: any engine on the team store gathers, polls and settles them (provider-batches.ts). */
  readonly providerBatches: PostgresProviderBatchStore

  private constructor(
    private readonly pool: pg.Pool,
    private readonly feed: ChangeFeed,
    /** This store's name in change notices, so its own changes are not news to it. */
    private readonly source: string,
    url: string,
  ) {
    // Ports:
    this.costs = new PostgresCostStore(pool)
    this.alerts = new PostgresAlertStore(pool)
    this.cache = new PostgresResponseCacheStore(pool)
    this.metrics = new PostgresMetricStore(pool)
    this.batches = new PostgresBatchStore(pool)
    this.upkeep = new PostgresUpkeep(pool, url)
    this.workers = new PostgresWorkerStore(pool)
    this.providerBatches = new PostgresProviderBatchStore(pool, source)
  }

  /** Connects, migrates and starts listening; a bad URL or a newer database is a one-line error naming the URL (password masked). */
  static async open(url: string, options: PoolOptions = {}): Promise<PostgresQueueStore> {
    const source = randomUUID()
    const pool = await openPool(url, { ...options, source })
    try {
      await migratePostgres(pool, url)
      return new PostgresQueueStore(pool, await ChangeFeed.start(connectionConfig(url, options), source), source, url)
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw error
    }
  }

  /** Told as a big enqueue loads, chunk by chunk: `genops enqueue` prints it, the engine forwards it to the window. */
  loadProgress: ((progress: LoadProgress) => void) | undefined

  async enqueue(jobs: NewJob[], batchName: string, now: number, maxConcurrency: number | null = null, options?: LoadOptions) {
    const result = await inTransaction(this.pool, (client) => enqueueJobs(client, this.source, jobs, batchName, now, maxConcurrency, options))
    await refreshStatistics(this.pool, result.addedIds.length)
    return result
  }
  /** A batch loaded while its files are parsed (intake/stream.ts): one transaction on a connection of its own (load.ts). */
  beginLoad(batchName: string, now: number, maxConcurrency: number | null, options: EnqueueOptions = {}) {
    return PostgresLoad.begin(this.pool, this.source, batchName, now, maxConcurrency, options)
  }
  /** One transaction whatever the size (other engines' writes never wait on it; its jobs are out of sight until it commits), its progress told. */
  load(jobs: NewJob[], batchName: string, now: number, maxConcurrency: number | null = null, options?: LoadOptions) {
    return this.enqueue(jobs, batchName, now, maxConcurrency, { ...options, onProgress: options?.onProgress ?? this.loadProgress })
  }
  claim(options: ClaimOptions) {
    // Gates, starts and reservations are read and written beside the jobs, in one transaction (claim.ts); a plain claim is one statement.
    return options.gate || options.starts || options.reserve ? inTransaction(this.pool, (client) => claimJobs(client, options)) : claimJobs(this.pool, options)
  }
  async settle(results: AttemptResult[], owner: string, finished?: FinishedJob[]) {
    if (results.length === 0) return []
    const settled = await inTransaction(this.pool, (client) => settleAttempts(client, this.source, results, owner))
    // Handed over only once committed: a rolled-back settle finished nothing.
    finished?.push(...settled.finished)
    return settled.changes
  }
  extendLeases(owner: string, until: number) {
    return extendLeases(this.pool, owner, until)
  }
  leaseOwners() {
    return leaseOwners(this.pool)
  }
  recoverStalled(options: RecoverOptions) {
    return inTransaction(this.pool, (client) => recoverStalled(client, this.source, options))
  }
  lostLeases(owner: string, ids: number[]) {
    return lostLeases(this.pool, owner, ids)
  }
  stats(now: number) {
    return queueStats(this.pool, now)
  }
  get(id: number, now: number) {
    return getJob(this.pool, id, now)
  }
  cancel(id: number, now: number) {
    return inTransaction(this.pool, (client) => cancelJob(client, this.source, id, now))
  }
  retry(id: number, now: number, from: readonly StoredState[]) {
    return inTransaction(this.pool, (client) => retryJob(client, this.source, id, now, from))
  }
  remove(id: number) {
    return inTransaction(this.pool, (client) => removeJob(client, this.source, id))
  }
  clean(state: 'completed' | 'dead' | 'cancelled', olderThan: number) {
    return cleanJobs(this.pool, state, olderThan)
  }
  applyRetention(policy: RetentionPolicy, now: number) {
    return applyRetention(this.pool, policy, now)
  }
  setPaused(paused: boolean) {
    return setPaused(this.pool, paused)
  }
  isPaused() {
    return isPaused(this.pool)
  }
  /** Moves whenever another store (another engine, the CLI) commits a change to the queue. */
  externalVersion() {
    return this.feed.version
  }
  /** Told of each change another store commits to the queue (enqueued, settled, recovered...); returns the way to stop. */
  onExternalChange(listener: ChangeListener): () => void {
    return this.feed.subscribe(listener)
  }
  // The queue store's methods beyond the queue core:
  saveSpans(spans: readonly StoredSpan[]) {
    return saveSpans(this.pool, spans)
  }
  jobSpans(jobId: number) {
    return jobSpans(this.pool, jobId)
  }
  pruneSpans(before: number, limit: number) {
    return pruneSpans(this.pool, before, limit)
  }
  list(options: ListOptions, now: number) {
    return listJobs(this.pool, options, now)
  }
  filterOptions() {
    return jobFilterOptions(this.pool)
  }
  listDead(options: DeadListOptions, now: number) {
    return listDead(this.pool, options, now)
  }
  deadStats() {
    return deadStats(this.pool)
  }
  retryDead(selection: DeadSelection, now: number) {
    return retryDead(this.pool, this.source, selection, now)
  }
  retryAllDead(now: number) {
    return retryAllDead(this.pool, this.source, now)
  }
  purgeDead(selection: DeadSelection) {
    return purgeDead(this.pool, this.source, selection)
  }
  listFailureGroups(options: { limit: number; flagged?: boolean | undefined }) {
    return listFailureGroups(this.pool, options)
  }
  pinFailureGroup(fingerprint: string, now: number) {
    return inTransaction(this.pool, (client) => pinFailureGroup(client, fingerprint, now))
  }
  listRegressions(now: number, fingerprint?: string) {
    return listRegressions(this.pool, now, fingerprint)
  }
  noteRegressionRun(runs: { caseId: number; jobId: number }[], now: number) {
    return noteRegressionRun(this.pool, runs, now)
  }
  listProfiles(onDamaged = damagedProfileSaid) {
    return listProfiles(this.pool, onDamaged)
  }
  saveProfile(profile: ProviderProfile, now: number, secret?: Buffer) {
    return saveProfile(this.pool, profile, now, secret)
  }
  removeProfile(name: string) {
    return removeProfile(this.pool, name)
  }
  setProfileSecret(name: string, secret: Buffer | null) {
    return setProfileSecret(this.pool, name, secret)
  }
  resealProfileSecrets(changes: readonly ResealedKey[]) {
    return inTransaction(this.pool, (client) => resealProfileSecrets(client, changes))
  }
  profileSecrets() {
    return profileSecrets(this.pool)
  }
  recordBreakerEvent(event: Omit<BreakerEvent, 'id'>) {
    return inTransaction(this.pool, (client) => recordBreakerEvent(client, event))
  }
  breakerEventsAfter(afterId: number) {
    return breakerEventsAfter(this.pool, afterId)
  }
  lastBreakerEventId() {
    return lastBreakerEventId(this.pool)
  }
  breakerHistory(perBreaker: number) {
    return breakerHistory(this.pool, perBreaker)
  }
  breakerCounts(since: number) {
    return breakerCounts(this.pool, since)
  }
  sharedSettings() {
    return sharedSettings(this.pool)
  }
  setSharedSetting(key: string, value: unknown) {
    return setSharedSetting(this.pool, key, value)
  }
  providerPauses() {
    return providerPauses(this.pool)
  }
  pauseProvider(provider: string, reason: string, now: number) {
    return pauseProvider(this.pool, provider, reason, now)
  }
  resumeProvider(provider: string) {
    return resumeProvider(this.pool, provider)
  }
  coolDown(provider: string, until: number) {
    return coolDown(this.pool, provider, until)
  }
  quotaReadingsExist() {
    return quotaReadingsExist(this.pool)
  }
  setBatchLimit(batchId: number, maxConcurrency: number | null) {
    return setBatchLimit(this.pool, batchId, maxConcurrency)
  }
  batchCapsExist() {
    return batchCapsExist(this.pool)
  }
  pausedBatches() {
    return pausedBatches(this.pool)
  }
  pauseBatch(batchId: number, reason: string, now: number) {
    return pauseBatch(this.pool, batchId, reason, now)
  }
  resumeBatch(batchId: number) {
    return resumeBatch(this.pool, batchId)
  }

  async close() {
    await this.feed.close()
    await this.pool.end()
  }
}
