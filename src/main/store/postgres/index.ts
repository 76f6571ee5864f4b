/**
 * The queue core on PostgreSQL, for a team whose engines share one queue: a pg pool, the
 * store's own migrations, and a change feed (LISTEN/NOTIFY) for what other engines commit.
 * Every method answers with a promise; each write is one transaction.
 */
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { StoredState } from '../../../shared/jobs'
import type { AttemptResult, ClaimOptions, EnqueueOptions, FinishedJob, NewJob, RecoverOptions, RetentionPolicy } from '../../queue/store'
import type { QueueCore } from '../queue-core'
import { ChangeFeed, type ChangeListener } from './change-feed'
import { claimJobs, extendLeases, leaseOwners, lostLeases } from './claim'
import { connectionConfig, openPool, type PoolOptions } from './connect'
import { enqueueJobs, refreshStatistics } from './enqueue'
import { applyRetention, cancelJob, cleanJobs, removeJob, retryJob } from './manage'
import { migratePostgres } from './migrate'
import { recoverStalled } from './recover'
import { getJob, isPaused, queueStats, setPaused } from './read'
import { settleAttempts } from './settle'
import { inTransaction } from './transaction'

export class PostgresQueueStore implements QueueCore {
  // The ports beside the queue core, each over the same pool (assigned in the constructor).

  private constructor(
    private readonly pool: pg.Pool,
    private readonly feed: ChangeFeed,
    /** This store's name in change notices, so its own changes are not news to it. */
    private readonly source: string,
  ) {
    // Ports:
  }

  /** Connects, migrates and starts listening; a bad URL or a newer database is a one-line error naming the URL (password masked). */
  static async open(url: string, options: PoolOptions = {}): Promise<PostgresQueueStore> {
    const pool = await openPool(url, options)
    try {
      await migratePostgres(pool, url)
      const source = randomUUID()
      return new PostgresQueueStore(pool, await ChangeFeed.start(connectionConfig(url, options), source), source)
    } catch (error) {
      await pool.end().catch(() => undefined)
      throw error
    }
  }

  async enqueue(jobs: NewJob[], batchName: string, now: number, maxConcurrency: number | null = null, options?: EnqueueOptions) {
    const result = await inTransaction(this.pool, (client) => enqueueJobs(client, this.source, jobs, batchName, now, maxConcurrency, options))
    await refreshStatistics(this.pool, result.addedIds.length)
    return result
  }
  claim(options: ClaimOptions) {
    return claimJobs(this.pool, options)
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

  async close() {
    await this.feed.close()
    await this.pool.end()
  }
}
