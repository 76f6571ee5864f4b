/**
 * The embedded queue store: one SQLite file, opened with the pragmas and migrations of
 * src/main/db. Its methods answer synchronously (better-sqlite3); the interface allows
 * promises for stores that talk to a server.
 */
import type { Database } from 'better-sqlite3'
import type { StoredState } from '../../../shared/jobs'
import type { ProviderProfile } from '../../../shared/providers'
import { openDatabase, type OpenOptions } from '../../db/connection'
import type { AttemptResult, ClaimOptions, ListOptions, NewJob, QueueStore, RecoverOptions, RetentionPolicy } from '../store'
import { claimJobs, extendLeases, leaseOwners, lostLeases, recoverStalled } from './claim'
import { enqueueJobs } from './enqueue'
import { applyRetention, cancelJob, cleanJobs, removeJob, retryAllDead, retryJob } from './manage'
import { listProfiles, profileSecrets, removeProfile, saveProfile, setProfileSecret } from './profiles'
import { getJob, isPaused, listJobs, queueStats, setPaused } from './read'
import { settleAttempts } from './settle'

export class SqliteQueueStore implements QueueStore {
  constructor(readonly db: Database) {}

  static open(file: string, options: OpenOptions = {}): SqliteQueueStore {
    return new SqliteQueueStore(openDatabase(file, options))
  }

  enqueue(jobs: NewJob[], batchName: string, now: number) {
    return enqueueJobs(this.db, jobs, batchName, now)
  }
  claim(options: ClaimOptions) {
    return claimJobs(this.db, options)
  }
  settle(results: AttemptResult[], owner: string) {
    return settleAttempts(this.db, results, owner)
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
  remove(id: number) {
    return removeJob(this.db, id)
  }
  clean(state: 'completed' | 'dead' | 'cancelled', olderThan: number) {
    return cleanJobs(this.db, state, olderThan)
  }
  applyRetention(policy: RetentionPolicy, now: number) {
    return applyRetention(this.db, policy, now)
  }
  listProfiles() {
    return listProfiles(this.db, (name, reason) => console.error(`genops: provider profile "${name}" is left out: ${reason}`))
  }
  saveProfile(profile: ProviderProfile, now: number) {
    saveProfile(this.db, profile, now)
  }
  removeProfile(name: string) {
    return removeProfile(this.db, name)
  }
  setProfileSecret(name: string, secret: Buffer | null) {
    return setProfileSecret(this.db, name, secret)
  }
  profileSecrets() {
    return profileSecrets(this.db)
  }
  setPaused(paused: boolean) {
    setPaused(this.db, paused)
  }
  isPaused() {
    return isPaused(this.db)
  }
  /** Changes whenever another connection commits: cheap detection of the CLI's writes. */
  externalVersion() {
    return this.db.pragma('data_version', { simple: true }) as number
  }
  close() {
    this.db.close()
  }
}
