/**
 * A big enqueue without a freeze. One transaction of 100,000 rows held the main thread and
 * SQLite's only write lock for over a second (bench/README.md, "Intake"): a big batch is
 * written instead in slices of a few milliseconds, each its own transaction, with the event
 * loop free between them. The batch carries `loading_owner` while it loads (migration 0023):
 * no claim takes its jobs, no count includes them, no reader lists or shows them (NOT_LOADING)
 * and no other enqueue takes one of their keys as known (enqueue.ts), until one small
 * transaction clears it and counts the jobs. A load that fails is removed whole (a file
 * loaded while it is parsed may still be refused: intake/stream.ts); one whose process died
 * is removed at the next start (removeAbandonedLoads), so the reader sees the whole batch or nothing.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'
import { newLeaseOwner } from '../../../queue/lease-owner'
import type { EnqueueOptions, EnqueueResult, JobLoad, LoadOptions, LoadProgress, NewJob } from '../../../queue/store'
import { LoadBook } from '../../../queue/load-book'
import { countBatch, insertBatch, insertJobRows, insertSources, jobsAdded } from './enqueue'

/** From this many jobs up a call loads in slices: below it, one transaction takes under ~50 ms. */
export const LOAD_THRESHOLD = 5_000

/**
 * How long one slice holds the write lock and the main thread: well under the 50 ms a
 * window may pause, and short enough that a claim or settle waiting on the lock is not late.
 */
const SLICE_MS = 10

/** Rows one statement of a drop removes (~2 ms here): a slice runs as many as fit in SLICE_MS. */
const DROP_SLICE = 500

export type { LoadOptions, LoadProgress }

/** Lets other work (a claim, a settle, the window) run between slices. */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

const sliceEnds = () => {
  const until = performance.now() + SLICE_MS
  return () => performance.now() >= until
}

/** The jobs as one batch, made visible only once every row is written; the same answer as enqueueJobs. */
export async function loadJobs(
  db: Database,
  jobs: readonly NewJob[],
  batchName: string,
  now: number,
  maxConcurrency: number | null,
  { onProgress, sources, ...options }: LoadOptions = {},
): Promise<EnqueueResult> {
  const load = SliceLoad.begin(db, batchName, now, maxConcurrency, options)
  try {
    await load.add(jobs, (loaded) => onProgress?.({ batchId: load.batchId, loaded, total: jobs.length }))
    return load.finish(sources)
  } catch (error) {
    await load.abandon()
    throw error
  }
}

/**
 * One batch loading out of sight, its jobs added in any number of calls (a file's jobs as
 * the intake thread reads them), then made visible whole, or removed whole.
 */
export class SliceLoad implements JobLoad {
  private readonly book = new LoadBook()

  private constructor(
    private readonly db: Database,
    readonly batchId: number,
    private readonly now: number,
    /** This process, in `loading_owner` while the batch loads. */
    private readonly owner: string,
  ) {}

  static begin(db: Database, batchName: string, now: number, maxConcurrency: number | null, options: EnqueueOptions): SliceLoad {
    const owner = newLeaseOwner()
    const batchId = db.transaction(() => insertBatch(db, batchName, now, maxConcurrency, options, owner)).immediate()
    return new SliceLoad(db, batchId, now, owner)
  }

  get loaded(): number {
    return this.book.jobIds.length
  }

  /** Writes `jobs` in slices of SLICE_MS, each its own transaction, the event loop free between them; `onSlice` is told the jobs loaded so far. */
  async add(jobs: readonly NewJob[], onSlice?: (loaded: number) => void): Promise<void> {
    const { db, batchId, now } = this
    const jobIds = new Array<number>(jobs.length)
    let next = 0
    while (next < jobs.length) {
      // Each slice in a turn of its own, the first too: the turn that made these jobs (a message of the intake
      // thread parsed and mapped) is not lengthened by a slice.
      await yieldTurn()
      const enough = sliceEnds()
      const from = next
      const addedIds: number[] = []
      const written = db.transaction(() => insertJobRows(db, jobs, { from, batchId, now, jobIds, addedIds, enough })).immediate()
      // Taken in as each slice commits: when a later slice fails (a key another load holds), drop() finds these.
      next = written.next
      const sliceIds = jobIds.slice(from, next)
      this.book.written(sliceIds, addedIds, jobsAdded(jobs.slice(from, next), { jobIds: sliceIds, addedIds }), written.duplicates)
      onSlice?.(this.loaded)
    }
  }

  /** Keeps the jobs added so far: a later drop() leaves them (one file of several is whole and good). */
  keep(): void {
    this.book.keep()
  }

  /**
   * Removes the jobs added since the last keep(), in slices, and goes on loading: a file
   * refused after some of its jobs were written, the files before it kept. A job added later
   * cannot have been answered with one of them as already known: each file is kept or
   * dropped before the next one's jobs are added.
   */
  async drop(): Promise<void> {
    const ids = this.book.drop()
    const remove = sql(this.db, 'DELETE FROM jobs WHERE batch_id = ? AND id IN (SELECT value FROM json_each(?))')
    for (let next = 0; next < ids.length;) {
      await yieldTurn()
      const enough = sliceEnds()
      this.db
        .transaction(() => {
          do remove.run(this.batchId, JSON.stringify(ids.slice(next, (next += DROP_SLICE))))
          while (next < ids.length && !enough())
        })
        .immediate()
    }
  }

  /** Makes the batch visible and counts it, in one small transaction; `sources` are the files it came from, `name` the batch's if it changed. */
  finish(sources?: EnqueueOptions['sources'], name?: string): EnqueueResult {
    this.keep()
    const { db, batchId, owner, book } = this
    const result = { batchId, jobIds: book.jobIds, addedIds: book.addedIds, duplicates: book.duplicates }
    db.transaction(() => {
      // Removed meanwhile (only a process that took this one for dead does that): nothing may be counted.
      const cleared = sql(db, 'UPDATE batches SET loading_owner = NULL, name = ifnull(?, name) WHERE id = ? AND loading_owner = ?').run(
        name ?? null,
        batchId,
        owner,
      ).changes
      if (cleared !== 1) throw new Error(`batch ${batchId} was removed while it loaded: nothing was enqueued`)
      insertSources(db, batchId, sources)
      countBatch(db, result, book.added, sources)
    }).immediate()
    return result
  }

  /** Removes the batch and every row written so far. */
  abandon(): Promise<void> {
    return removeLoad(this.db, this.batchId)
  }
}

/** A loading batch's rows, removed slice by slice, then the batch itself. */
export async function removeLoad(db: Database, batchId: number): Promise<void> {
  const slice = sql(db, 'DELETE FROM jobs WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ? LIMIT 2000)')
  for (;;) {
    const enough = sliceEnds()
    let removed = 0
    db.transaction(() => {
      let changes: number
      do removed += changes = slice.run(batchId).changes
      while (changes > 0 && !enough())
    }).immediate()
    if (removed === 0) break
    await yieldTurn()
  }
  // With its last rows, in one transaction: the batch's foreign key would otherwise leave a row without a batch, visible.
  db.transaction(() => {
    sql(db, 'DELETE FROM jobs WHERE batch_id = ?').run(batchId)
    sql(db, 'DELETE FROM batches WHERE id = ? AND loading_owner IS NOT NULL').run(batchId)
  }).immediate()
}

/** The batches still loading, by id: almost always none (a few reads of an index that holds only them). */
export const LOADING_IDS = 'SELECT id FROM batches INDEXED BY batches_loading WHERE loading_owner IS NOT NULL'

/** A job's condition of being there for the readers: not of a batch still loading, whose file may yet be refused and removed. */
export const NOT_LOADING = `(batch_id IS NULL OR batch_id NOT IN (${LOADING_IDS}))`

/** Batches still loading, with the process that loads each. */
export function loadingBatches(db: Database): { id: number; owner: string }[] {
  return sql(db, 'SELECT id, loading_owner AS owner FROM batches INDEXED BY batches_loading WHERE loading_owner IS NOT NULL').all() as {
    id: number
    owner: string
  }[]
}

/** Removes the loads whose process is gone (a crash, kill -9 mid-load); answers how many. */
export async function removeAbandonedLoads(db: Database, isGone: (owner: string) => boolean): Promise<number> {
  const abandoned = loadingBatches(db).filter((batch) => isGone(batch.owner))
  for (const batch of abandoned) await removeLoad(db, batch.id)
  return abandoned.length
}
