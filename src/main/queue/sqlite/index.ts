/** The embedded queue store: one SQLite file, opened with the pragmas and migrations of src/main/db. */
import type { Database } from 'better-sqlite3'
import { openDatabase } from '../../db/connection'
import type { QueueStore } from '../store'
import { claimJobs, extendLeases, leaseOwners, lostLeases, recoverStalled } from './claim'
import { enqueueJobs } from './enqueue'
import { applyRetention, cancelJob, cleanJobs, removeJob, retryAllDead, retryJob } from './manage'
import { getJob, isPaused, listJobs, queueStats, setPaused } from './read'
import { settleAttempts } from './settle'

export class SqliteQueueStore implements QueueStore {
  constructor(readonly db: Database) {}

  static open(file: string): SqliteQueueStore {
    return new SqliteQueueStore(openDatabase(file))
  }

  enqueue: QueueStore['enqueue'] = (jobs, batchName, now) => enqueueJobs(this.db, jobs, batchName, now)
  claim: QueueStore['claim'] = (options) => claimJobs(this.db, options)
  settle: QueueStore['settle'] = (results, owner) => settleAttempts(this.db, results, owner)
  extendLeases: QueueStore['extendLeases'] = (owner, until) => extendLeases(this.db, owner, until)
  leaseOwners: QueueStore['leaseOwners'] = () => leaseOwners(this.db)
  recoverStalled: QueueStore['recoverStalled'] = (options) => recoverStalled(this.db, options)
  lostLeases: QueueStore['lostLeases'] = (owner, ids) => lostLeases(this.db, owner, ids)
  stats: QueueStore['stats'] = (now) => queueStats(this.db, now)
  list: QueueStore['list'] = (options, now) => listJobs(this.db, options, now)
  get: QueueStore['get'] = (id, now) => getJob(this.db, id, now)
  cancel: QueueStore['cancel'] = (id, now) => cancelJob(this.db, id, now)
  retry: QueueStore['retry'] = (id, now, from) => retryJob(this.db, id, now, from)
  retryAllDead: QueueStore['retryAllDead'] = (now) => retryAllDead(this.db, now)
  remove: QueueStore['remove'] = (id) => removeJob(this.db, id)
  clean: QueueStore['clean'] = (state, olderThan) => cleanJobs(this.db, state, olderThan)
  applyRetention: QueueStore['applyRetention'] = (policy, now) => applyRetention(this.db, policy, now)
  setPaused: QueueStore['setPaused'] = (paused) => setPaused(this.db, paused)
  isPaused: QueueStore['isPaused'] = () => isPaused(this.db)
  externalVersion: QueueStore['externalVersion'] = () => this.db.pragma('data_version', { simple: true }) as number
  close: QueueStore['close'] = () => {
    this.db.close()
  }
}
