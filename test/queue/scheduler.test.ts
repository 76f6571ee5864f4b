/** The scheduler against a real store and pool, with a fault injected at the store. */
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { DEFAULT_BREAKER } from '../../src/main/resilience/breakers'
import { DEFAULT_BACKOFF } from '../../src/main/queue/backoff'
import { WORKER_FILE } from '../../src/main/paths'
import { AttemptPool } from '../../src/main/queue/pool'
import { Scheduler } from '../../src/main/queue/scheduler'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import type { AttemptResult } from '../../src/main/queue/store'
import { job, row } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

/** A store whose first commit of results fails, as a commit does when another process holds the write lock too long. */
class BusyOnceStore extends SqliteQueueStore {
  failures = 0
  override settle(results: AttemptResult[], owner: string) {
    if (this.failures++ === 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    return super.settle(results, owner)
  }
}

let cleanup: (() => Promise<void>) | undefined
afterEach(async () => cleanup?.())

it('keeps results whose commit failed and commits them on a later turn', async () => {
  const store = new BusyOnceStore(SqliteQueueStore.open(join(tempDir(), 'genops.db')).db)
  const pool = new AttemptPool({ workerFile: WORKER_FILE, threads: 1, tasksPerThread: 4 }, () => {})
  const errors: string[] = []
  const scheduler = new Scheduler(
    store,
    pool,
    {
      concurrency: 4,
      claimBatch: 4,
      settleBatch: 16,
      leaseMs: 60_000,
      pollMs: 20,
      stallSweepMs: 60_000,
      maxStalled: 1,
      cancelGraceMs: 1000,
      retentionSweepMs: 60_000,
      retention: { completed: { maxCount: 1e6, maxAgeMs: 1e12 }, dead: { maxCount: 1e6, maxAgeMs: 1e12 }, cancelled: { maxCount: 1e6, maxAgeMs: 1e12 } },
      backoff: DEFAULT_BACKOFF,
      artifactsDir: null,
      breaker: DEFAULT_BREAKER,
      breakers: true,
    },
    { onChanges() {}, onCountsMayChange() {}, onError: (error) => errors.push(String(error)), onNotice() {} },
  )
  cleanup = async () => {
    await scheduler.stop(1000)
    await pool.destroy()
    store.close()
  }
  store.enqueue([job('a', { runAt: Date.now() })], 'b', Date.now())
  await scheduler.start()
  await waitFor(
    () => row(store, 1).state,
    (state) => state === 'completed',
    { what: 'the job to complete after the failed commit' },
  )
  expect(errors).toEqual(['Error: database is locked'])
  expect(row(store, 1)).toMatchObject({ attempts_made: 1, stalled_count: 0 })
})
