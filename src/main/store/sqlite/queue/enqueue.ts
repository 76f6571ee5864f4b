/**
 * Enqueue: one batch row and every job of the call in one transaction, all or nothing. A
 * big call loads in short transactions instead (load.ts), through the same row writer.
 */
import type { Database, Transaction } from 'better-sqlite3'
import { OperationError } from '../../../../shared/contract'
import { sql } from '../db/connection'
import type { EnqueueOptions, EnqueueResult, NewJob } from '../../../queue/store'
import { countEnqueued } from '../telemetry/metric-totals'
import { addedTally, type Tally } from '../telemetry/tally'
import { adjustCounts } from './rows'

const COLUMNS = `INSERT INTO jobs (state, priority, run_at, created_at, updated_at, batch_id, provider, model,
  prompt, config, tags, idempotency_key, max_attempts, source_file, source_row, input, lane) VALUES `
// The lane is fixed here, once: the job's own choice, else its profile's default (a profile's config may say lane "batch").
const ROW = `('queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
  CASE WHEN ? = 'batch' OR (? IS NULL AND (SELECT json_extract(settings, '$.config.lane') FROM provider_profiles WHERE name = ?) = 'batch')
    THEN 'batch' ELSE 'realtime' END)`
const PARAMS_PER_ROW = 18

/**
 * Jobs without an idempotency key go in this many to a statement: binding one statement
 * per row made bulk enqueue ~20% slower (210k against 260k rows/s on this schema).
 */
const ROWS_PER_INSERT = 50
const INSERT_ONE = COLUMNS + ROW
const INSERT_MANY = COLUMNS + Array<string>(ROWS_PER_INSERT).fill(ROW).join(', ')

function bind(params: unknown[], offset: number, job: NewJob, now: number, batchId: number): void {
  params[offset] = job.priority
  params[offset + 1] = job.runAt
  params[offset + 2] = now
  params[offset + 3] = now
  params[offset + 4] = batchId
  params[offset + 5] = job.provider
  params[offset + 6] = job.model
  params[offset + 7] = job.prompt
  params[offset + 8] = job.config === null ? null : JSON.stringify(job.config)
  params[offset + 9] = job.tags === null ? null : JSON.stringify(job.tags)
  params[offset + 10] = job.idempotencyKey
  params[offset + 11] = job.maxAttempts
  params[offset + 12] = job.origin?.file ?? null
  params[offset + 13] = job.origin?.row ?? null
  params[offset + 14] = job.origin?.input ?? null
  const lane = typeof job.config?.lane === 'string' ? job.config.lane : null
  params[offset + 15] = lane
  params[offset + 16] = lane
  params[offset + 17] = job.provider
}

export interface RowsWrite {
  /** The first job to write. */
  from: number
  batchId: number
  now: number
  /** Filled in as rows are written: the job's id, or the older job's when its idempotency key is known. */
  jobIds: number[]
  /** Appended to as rows are written: the id of each job added, in order (a known key adds none). */
  addedIds: number[]
  /** When it says stop, the write ends after the statement under way (a load's slice of time); never: all of them. */
  enough?: () => boolean
}

/**
 * Writes job rows from \`from\` on, inside the caller's transaction, until the jobs run out or
 * \`enough\` says stop; answers where it stopped and how many keys were already known.
 */
export function insertJobRows(
  db: Database,
  jobs: readonly NewJob[],
  { from, batchId, now, jobIds, addedIds, enough }: RowsWrite,
): { next: number; duplicates: number } {
  const insertOne = sql(db, INSERT_ONE)
  const one = new Array<unknown>(PARAMS_PER_ROW)
  // Made when a run of 50 comes: a call of one job (the commonest) does without its 900 slots.
  let many: unknown[] | undefined
  let duplicates = 0
  let i = from
  const addOne = (job: NewJob): number => {
    bind(one, 0, job, now, batchId)
    const id = Number(insertOne.run(one).lastInsertRowid)
    addedIds.push(id)
    return id
  }
  while (i < jobs.length && !enough?.()) {
    const job = jobs[i]!
    if (job.idempotencyKey !== null) {
      const existing = knownKey(db, job.idempotencyKey, batchId)
      if (existing !== undefined) duplicates++
      jobIds[i++] = existing ?? addOne(job)
      continue
    }
    let run = 0
    while (run < ROWS_PER_INSERT && i + run < jobs.length && jobs[i + run]!.idempotencyKey === null) run++
    if (run < ROWS_PER_INSERT) {
      jobIds[i++] = addOne(job)
      continue
    }
    many ??= new Array<unknown>(PARAMS_PER_ROW * ROWS_PER_INSERT)
    for (let k = 0; k < run; k++) bind(many, k * PARAMS_PER_ROW, jobs[i + k]!, now, batchId)
    // One statement's rows take consecutive rowids (a table without AUTOINCREMENT, inside our write lock).
    const last = Number(sql(db, INSERT_MANY).run(many).lastInsertRowid)
    for (let k = 0; k < run; k++) addedIds.push((jobIds[i + k] = last - run + 1 + k))
    i += run
  }
  return { next: i, duplicates }
}

const KNOWN_KEY = `SELECT jobs.id, jobs.batch_id AS batchId, batches.loading_owner IS NOT NULL AS loading
  FROM jobs LEFT JOIN batches ON batches.id = jobs.batch_id WHERE jobs.idempotency_key = ?`

/**
 * The job that already has this key, if any. A job of another batch still loading is not
 * there yet: its file may still be refused and removed whole (intake/stream.ts), and a job
 * said to be known by it would go with it, so the enqueue is refused until the load ends.
 */
function knownKey(db: Database, key: string, batchId: number): number | undefined {
  const row = sql(db, KNOWN_KEY).get(key) as { id: number; batchId: number | null; loading: number } | undefined
  if (row?.loading && row.batchId !== batchId) {
    throw new OperationError(
      'CONFLICT',
      `idempotency key ${JSON.stringify(key)} is taken by job ${row.id} of batch ${row.batchId}, which is still being enqueued: try again once it is`,
    )
  }
  return row?.id
}

/** The batch row and its sources; `loadingOwner` (a process, see load.ts) keeps its jobs out of sight until it is cleared. */
export function insertBatch(
  db: Database,
  batchName: string,
  now: number,
  maxConcurrency: number | null,
  options: EnqueueOptions,
  loadingOwner: string | null = null,
): number {
  const batchId = Number(
    sql(db, 'INSERT INTO batches (name, created_at, max_concurrency, capped_by, rerun_of, rerun_changes, loading_owner) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      batchName,
      now,
      maxConcurrency,
      maxConcurrency === null ? null : (options.cappedBy ?? 'its enqueue'),
      options.rerunOf ?? null,
      options.rerunChanges ? JSON.stringify(options.rerunChanges) : null,
      loadingOwner,
    ).lastInsertRowid,
  )
  insertSources(db, batchId, options.sources)
  return batchId
}

/** The files a batch was made from. */
export function insertSources(db: Database, batchId: number, sources: EnqueueOptions['sources']): void {
  const source = sql(db, 'INSERT INTO batch_sources (batch_id, file_index, name, format, jobs, columns) VALUES (?, ?, ?, ?, ?, ?)')
  sources?.forEach((file, index) => source.run(batchId, index, file.name, file.format, file.jobs, JSON.stringify(file.columns)))
}

/**
 * The jobs a call added, from the ids the rows were written with: a known key's job has an
 * older job's id, or the id of the job before it in the call that added it, so each added id
 * is taken at its first place.
 */
export function jobsAdded<T>(jobs: readonly T[], { jobIds, addedIds }: Pick<EnqueueResult, 'jobIds' | 'addedIds'>): readonly T[] {
  if (addedIds.length === jobs.length) return jobs
  const added = new Set(addedIds)
  return jobs.filter((_, i) => added.delete(jobIds[i]!))
}

/**
 * Counts the batch's new jobs where the screens and metrics read them; call in the transaction that makes them visible.
 * `added`: the jobs added (jobsAdded), by provider and model.
 */
export function countBatch(db: Database, result: EnqueueResult, added: Tally, sources: EnqueueOptions['sources']): void {
  const count = result.addedIds.length
  sql(db, 'UPDATE batches SET job_count = ? WHERE id = ?').run(count, result.batchId)
  // Later changes of state are counted by the triggers of migration 0015; the jobs' arrival here, in one statement.
  if (count > 0) sql(db, `INSERT INTO batch_counts (batch_id, state, n) VALUES (?, 'queued', ?)`).run(result.batchId, count)
  adjustCounts(db, { queued: count })
  // The store's totals the metrics read, whoever enqueues (store/sqlite/telemetry/metric-totals).
  countEnqueued(db, added, sources)
}

type EnqueueCall = (jobs: readonly NewJob[], batchName: string, now: number, maxConcurrency: number | null, options: EnqueueOptions) => EnqueueResult

/**
 * The enqueue transaction, made once a connection: better-sqlite3 builds four wrappers and
 * their properties each time `db.transaction` is called, 5% of a one-job enqueue (profiled).
 */
const transactions = new WeakMap<Database, Transaction<EnqueueCall>>()

function enqueueTransaction(db: Database): Transaction<EnqueueCall> {
  let transaction = transactions.get(db)
  if (!transaction) {
    transaction = db.transaction<EnqueueCall>((jobs, batchName, now, maxConcurrency, options) => {
      const batchId = insertBatch(db, batchName, now, maxConcurrency, options)
      const jobIds = new Array<number>(jobs.length)
      const addedIds: number[] = []
      const { duplicates } = insertJobRows(db, jobs, { from: 0, batchId, now, jobIds, addedIds })
      const result = { batchId, jobIds, addedIds, duplicates }
      countBatch(db, result, addedTally(jobsAdded(jobs, result)), options.sources)
      return result
    })
    transactions.set(db, transaction)
  }
  return transaction
}

/** `maxConcurrency` caps how many of the batch's jobs run at once (null: no cap); `options` say where the jobs came from. */
export function enqueueJobs(
  db: Database,
  jobs: NewJob[],
  batchName: string,
  now: number,
  maxConcurrency: number | null = null,
  options: EnqueueOptions = {},
): EnqueueResult {
  return enqueueTransaction(db).immediate(jobs, batchName, now, maxConcurrency, options)
}
