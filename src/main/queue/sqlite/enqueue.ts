/**
 * Enqueue: one batch row and every job of the call in one transaction, all or nothing. A
 * big call loads in short transactions instead (load.ts), through the same row writer.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../../db/connection'
import type { EnqueueOptions, EnqueueResult, NewJob } from '../store'
import { addedJobs, countEnqueued } from '../../telemetry/metric-totals'
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
  /** When it says stop, the write ends after the statement under way (a load's slice of time); never: all of them. */
  enough?: () => boolean
}

/**
 * Writes job rows from \`from\` on, inside the caller's transaction, until the jobs run out or
 * \`enough\` says stop; answers where it stopped and how many keys were already known.
 */
export function insertJobRows(db: Database, jobs: readonly NewJob[], { from, batchId, now, jobIds, enough }: RowsWrite): { next: number; duplicates: number } {
  const insertOne = sql(db, INSERT_ONE)
  const insertMany = sql(db, INSERT_MANY)
  const one = new Array<unknown>(PARAMS_PER_ROW)
  const many = new Array<unknown>(PARAMS_PER_ROW * ROWS_PER_INSERT)
  let duplicates = 0
  let i = from
  while (i < jobs.length && !enough?.()) {
    const job = jobs[i]!
    if (job.idempotencyKey !== null) {
      const existing = sql(db, 'SELECT id FROM jobs WHERE idempotency_key = ?').pluck().get(job.idempotencyKey) as number | undefined
      if (existing !== undefined) duplicates++
      else bind(one, 0, job, now, batchId)
      jobIds[i++] = existing ?? Number(insertOne.run(one).lastInsertRowid)
      continue
    }
    let run = 0
    while (run < ROWS_PER_INSERT && i + run < jobs.length && jobs[i + run]!.idempotencyKey === null) run++
    if (run < ROWS_PER_INSERT) {
      bind(one, 0, job, now, batchId)
      jobIds[i++] = Number(insertOne.run(one).lastInsertRowid)
      continue
    }
    for (let k = 0; k < run; k++) bind(many, k * PARAMS_PER_ROW, jobs[i + k]!, now, batchId)
    // One statement's rows take consecutive rowids (a table without AUTOINCREMENT, inside our write lock).
    const last = Number(insertMany.run(many).lastInsertRowid)
    for (let k = 0; k < run; k++) jobIds[i + k] = last - run + 1 + k
    i += run
  }
  return { next: i, duplicates }
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
  const source = sql(db, 'INSERT INTO batch_sources (batch_id, file_index, name, format, jobs, columns) VALUES (?, ?, ?, ?, ?, ?)')
  options.sources?.forEach((file, index) => source.run(batchId, index, file.name, file.format, file.jobs, JSON.stringify(file.columns)))
  return batchId
}

/** Counts the batch's new jobs where the screens and metrics read them; call in the transaction that makes them visible. */
export function countBatch(db: Database, jobs: readonly NewJob[], result: EnqueueResult, sources: EnqueueOptions['sources']): void {
  const added = jobs.length - result.duplicates
  sql(db, 'UPDATE batches SET job_count = ? WHERE id = ?').run(added, result.batchId)
  // Later changes of state are counted by the triggers of migration 0015; the jobs' arrival here, in one statement.
  if (added > 0) sql(db, `INSERT INTO batch_counts (batch_id, state, n) VALUES (?, 'queued', ?)`).run(result.batchId, added)
  adjustCounts(db, { queued: added })
  // The store's totals the metrics read, whoever enqueues (telemetry/metric-totals).
  countEnqueued(db, addedJobs(jobs, result), sources)
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
  return db
    .transaction((): EnqueueResult => {
      const batchId = insertBatch(db, batchName, now, maxConcurrency, options)
      const jobIds = new Array<number>(jobs.length)
      const { duplicates } = insertJobRows(db, jobs, { from: 0, batchId, now, jobIds })
      const result = { batchId, jobIds, duplicates }
      countBatch(db, jobs, result, options.sources)
      return result
    })
    .immediate()
}
