/**
 * The embedded queue store: one SQLite file, opened with the pragmas and migrations of
 * src/main/store/sqlite/db. Its methods answer synchronously (better-sqlite3); the interface allows
 * promises for stores that talk to a server.
 */
import type { Database } from 'better-sqlite3'
import type { StoredState } from '../../../../shared/jobs'
import type { ProviderProfile } from '../../../../shared/providers'
import type { StoredSpan } from '../../../../shared/traces'
import { SqliteAlertStore } from '../alerts'
import { SqliteBatchStore } from '../batches'
import { SqliteCostStore } from '../costs'
import { SqliteResponseCache } from '../cache'
import { openDatabase, type OpenOptions } from '../db/connection'
import { SqliteMetricStore } from '../metric-store'
import { SqliteUpkeep } from '../upkeep'
import { SqliteProviderBatchStore } from './provider-batches'
import { SqliteWorkerStore } from '../workers'
import type {
  AttemptResult,
  BreakerEvent,
  ClaimOptions,
  DeadListOptions,
  EnqueueOptions,
  DeadSelection,
  FinishedJob,
  ListOptions,
  LoadOptions,
  NewJob,
  QueueStore,
  RecoverOptions,
  ResealedKey,
  RetentionPolicy,
} from '../../../queue/store'
import { pauseBatch, pausedBatches, resumeBatch } from './batch-pauses'
import { claimJobs, extendLeases, leaseOwners, lostLeases, recoverStalled } from './claim'
import { deadStats, listDead, purgeDead, retryDead } from './dead'
import { enqueueJobs } from './enqueue'
import { LOAD_THRESHOLD, loadJobs, removeAbandonedLoads, SliceLoad, type LoadProgress } from './load'
import { listFailureGroups, listRegressions, noteRegressionRun, pinFailureGroup } from './failures'
import { applyRetention, cancelJob, cleanJobs, removeJob, retryAllDead, retryJob } from './manage'
import { damagedProfileSaid, listProfiles, profileSecrets, removeProfile, resealProfileSecrets, saveProfile, setProfileSecret } from './profiles'
import { jobFilterOptions, listJobs } from './list'
import { getJob, isPaused, queueStats, setPaused } from './read'
import {
  batchCapsExist,
  breakerCounts,
  breakerHistory,
  lastBreakerEventId,
  breakerEventsAfter,
  pauseProvider,
  providerPauses,
  recordBreakerEvent,
  resumeProvider,
  setBatchLimit,
} from './resilience'
import { settleAttempts } from './settle'
import { coolDown, quotaReadingsExist } from './rate-state'
import { setSharedSetting, sharedSettings } from './shared-settings'
import { jobSpans, pruneSpans, saveSpans } from './spans'

export class SqliteQueueStore implements QueueStore {
  readonly costs: SqliteCostStore
  readonly alerts: SqliteAlertStore
  readonly batches: SqliteBatchStore
  readonly metrics: SqliteMetricStore
  readonly cache: SqliteResponseCache
  readonly upkeep: SqliteUpkeep
  /** The batch lane's provider batches (src/main/provider-batches), in the same file. */
  readonly providerBatches: SqliteProviderBatchStore
  readonly workers: SqliteWorkerStore

  /** `nativeBinding`: better-sqlite3's native module for another runtime, which the store's threads load too. */
  constructor(
    readonly db: Database,
    nativeBinding?: string,
  ) {
    this.costs = new SqliteCostStore(db)
    this.alerts = new SqliteAlertStore(db)
    this.batches = new SqliteBatchStore(db)
    this.metrics = new SqliteMetricStore(db)
    this.cache = new SqliteResponseCache(db)
    this.upkeep = new SqliteUpkeep(db, nativeBinding)
    this.providerBatches = new SqliteProviderBatchStore(db)
    this.workers = new SqliteWorkerStore(db)
  }

  static open(file: string, options: OpenOptions = {}): SqliteQueueStore {
    return new SqliteQueueStore(openDatabase(file, options), options.nativeBinding)
  }

  /** Told as a big enqueue loads (load.ts): `genops enqueue` prints it, the engine forwards it to the window. */
  loadProgress: ((progress: LoadProgress) => void) | undefined

  enqueue(jobs: NewJob[], batchName: string, now: number, maxConcurrency: number | null = null, options?: EnqueueOptions) {
    return enqueueJobs(this.db, jobs, batchName, now, maxConcurrency, options)
  }
  async load(jobs: NewJob[], batchName: string, now: number, maxConcurrency: number | null = null, options?: LoadOptions) {
    if (jobs.length < LOAD_THRESHOLD) return this.enqueue(jobs, batchName, now, maxConcurrency, options)
    return loadJobs(this.db, jobs, batchName, now, maxConcurrency, { ...options, onProgress: options?.onProgress ?? this.loadProgress })
  }
  beginLoad(batchName: string, now: number, maxConcurrency: number | null, options: EnqueueOptions = {}) {
    return SliceLoad.begin(this.db, batchName, now, maxConcurrency, options)
  }
  removeAbandonedLoads(isGone: (owner: string) => boolean) {
    return removeAbandonedLoads(this.db, isGone)
  }
  claim(options: ClaimOptions) {
    return claimJobs(this.db, options)
  }
  settle(results: AttemptResult[], owner: string, finished?: FinishedJob[]) {
    return settleAttempts(this.db, results, owner, finished)
  }
  extendLeases(owner: string, until: number) {
    return extendLeases(this.db, owner, until)
  }
  leaseOwners() {
    return leaseOwners(this.db)
  }
  recoverStalled(options: RecoverOptions) {
    return recoverStalled(this.db, options)
  }
  lostLeases(owner: string, ids: number[]) {
    return lostLeases(this.db, owner, ids)
  }
  stats(now: number) {
    return queueStats(this.db, now)
  }
  list(options: ListOptions, now: number) {
    return listJobs(this.db, options, now)
  }
  filterOptions() {
    return jobFilterOptions(this.db)
  }
  get(id: number, now: number) {
    return getJob(this.db, id, now)
  }
  cancel(id: number, now: number) {
    return cancelJob(this.db, id, now)
  }
  retry(id: number, now: number, from: readonly StoredState[]) {
    return retryJob(this.db, id, now, from)
  }
  retryAllDead(now: number) {
    return retryAllDead(this.db, now)
  }
  listDead(options: DeadListOptions, now: number) {
    return listDead(this.db, options, now)
  }
  deadStats() {
    return deadStats(this.db)
  }
  retryDead(selection: DeadSelection, now: number) {
    return retryDead(this.db, selection, now)
  }
  purgeDead(selection: DeadSelection) {
    return purgeDead(this.db, selection)
  }
  listFailureGroups(options: { limit: number; flagged?: boolean | undefined }) {
    return listFailureGroups(this.db, options)
  }
  pinFailureGroup(fingerprint: string, now: number) {
    return pinFailureGroup(this.db, fingerprint, now)
  }
  listRegressions(now: number, fingerprint?: string) {
    return listRegressions(this.db, now, fingerprint)
  }
  noteRegressionRun(runs: { caseId: number; jobId: number }[], now: number) {
    noteRegressionRun(this.db, runs, now)
  }
  remove(id: number) {
    return removeJob(this.db, id)
  }
  clean(state: 'completed' | 'dead' | 'cancelled', olderThan: number) {
    return cleanJobs(this.db, state, olderThan)
  }
  applyRetention(policy: RetentionPolicy, now: number) {
    return applyRetention(this.db, policy, now)
  }
  listProfiles(onDamaged = damagedProfileSaid) {
    return listProfiles(this.db, onDamaged)
  }
  saveProfile(profile: ProviderProfile, now: number, secret?: Buffer) {
    saveProfile(this.db, profile, now, secret)
  }
  removeProfile(name: string) {
    return removeProfile(this.db, name)
  }
  setProfileSecret(name: string, secret: Buffer | null) {
    return setProfileSecret(this.db, name, secret)
  }
  resealProfileSecrets(changes: readonly ResealedKey[]) {
    resealProfileSecrets(this.db, changes)
  }
  profileSecrets() {
    return profileSecrets(this.db)
  }
  coolDown(provider: string, until: number) {
    coolDown(this.db, provider, until)
  }
  quotaReadingsExist() {
    return quotaReadingsExist(this.db)
  }
  providerPauses() {
    return providerPauses(this.db)
  }
  pauseProvider(provider: string, reason: string, now: number) {
    pauseProvider(this.db, provider, reason, now)
  }
  resumeProvider(provider: string) {
    return resumeProvider(this.db, provider)
  }
  recordBreakerEvent(event: Omit<BreakerEvent, 'id'>) {
    return recordBreakerEvent(this.db, event)
  }
  breakerEventsAfter(afterId: number) {
    return breakerEventsAfter(this.db, afterId)
  }
  lastBreakerEventId() {
    return lastBreakerEventId(this.db)
  }
  breakerCounts(since: number) {
    return breakerCounts(this.db, since)
  }
  breakerHistory(perBreaker: number) {
    return breakerHistory(this.db, perBreaker)
  }
  setBatchLimit(batchId: number, maxConcurrency: number | null) {
    return setBatchLimit(this.db, batchId, maxConcurrency)
  }
  batchCapsExist() {
    return batchCapsExist(this.db)
  }
  pausedBatches() {
    return pausedBatches(this.db)
  }
  pauseBatch(batchId: number, reason: string, now: number) {
    return pauseBatch(this.db, batchId, reason, now)
  }
  resumeBatch(batchId: number) {
    return resumeBatch(this.db, batchId)
  }
  setPaused(paused: boolean) {
    setPaused(this.db, paused)
  }
  isPaused() {
    return isPaused(this.db)
  }
  sharedSettings() {
    return sharedSettings(this.db)
  }
  setSharedSetting(key: string, value: unknown) {
    setSharedSetting(this.db, key, value)
  }
  saveSpans(spans: readonly StoredSpan[]) {
    saveSpans(this.db, spans)
  }
  jobSpans(jobId: number) {
    return jobSpans(this.db, jobId)
  }
  pruneSpans(before: number, limit: number) {
    return pruneSpans(this.db, before, limit)
  }
  /** Changes whenever another connection commits: cheap detection of the CLI's writes. */
  externalVersion() {
    return this.db.pragma('data_version', { simple: true }) as number
  }
  close() {
    this.db.close()
  }
}
