/**
 * The dead-letter queue: dead jobs listed and counted by category, provider and batch, sent
 * back with fresh attempts or purged, by id or by filter. Bulk work walks the matching jobs
 * in id order, a slice per transaction, so no call holds the write lock for long and a job
 * that dies again meanwhile is not visited twice.
 */
import type { Database } from 'better-sqlite3'
import type { DeadFilter, DeadJob, DeadStats } from '../../../../shared/failures'
import { sql } from '../db/connection'
import type { DeadListOptions, DeadSelection } from '../../../queue/store'
import { SUMMARY_COLUMNS, adjustCounts, toSummary, type JobRow } from './rows'

const SLICE = 2000

type Args = Record<string, string | number>

/**
 * The FROM and WHERE of the dead jobs a filter matches. INDEXED BY pins the plan on the
 * narrowest index the filter allows, so it does not hang on the planner's guess without
 * statistics (query-plans.test.ts reads these plans).
 */
export function deadSource({ category, provider, batchId }: DeadFilter, args: Args): string {
  const where = [`state = 'dead'`]
  if (category !== undefined) {
    where.push('error_category = @category')
    args.category = category
  }
  if (provider !== undefined) {
    where.push('provider = @provider')
    args.provider = provider
  }
  if (batchId !== undefined) {
    where.push('batch_id = @batchId')
    args.batchId = batchId
  }
  return `jobs INDEXED BY ${narrowestIndex({ category, provider, batchId })} WHERE ${where.join(' AND ')}`
}

/** A category is usually the narrowest filter, then a provider, then a batch (which holds jobs in every state). */
function narrowestIndex({ category, provider, batchId }: DeadFilter): string {
  if (category !== undefined) return 'jobs_dead_by_category'
  if (provider !== undefined) return 'jobs_dead_by_provider'
  if (batchId !== undefined) return 'jobs_by_batch'
  return 'jobs_by_state'
}

/** The newest dead jobs first, a page at a time (keyset paging on id). */
export function deadListQuery({ beforeId, limit, ...filter }: DeadListOptions): { text: string; args: Args } {
  const args: Args = { limit }
  let source = deadSource(filter, args)
  if (beforeId !== undefined) {
    source += ' AND id < @beforeId'
    args.beforeId = beforeId
  }
  return { text: `SELECT ${SUMMARY_COLUMNS}, error_category, ${LAST_ATTEMPT} FROM ${source} ORDER BY id DESC LIMIT @limit`, args }
}

/** What the job's last attempt stored: its severity and the model it ran (one index search a listed job, through job_attempts_by_job). */
const LAST_ATTEMPT = ['error_severity', 'model']
  .map((column) => `(SELECT ${column} FROM job_attempts a WHERE a.job_id = jobs.id ORDER BY a.id DESC LIMIT 1) AS last_${column}`)
  .join(', ')

export function listDead(db: Database, options: DeadListOptions, now: number): DeadJob[] {
  const { text, args } = deadListQuery(options)
  return (sql(db, text).all(args) as (JobRow & { error_category: string | null; last_error_severity: DeadJob['severity']; last_model: string | null })[]).map(
    (row) => ({
      ...toSummary(row, now),
      errorCategory: row.error_category,
      severity: row.last_error_severity,
      ranModel: row.last_model,
    }),
  )
}

// Pinned: left to itself SQLite counts through jobs_by_state and groups in a temp B-tree.
export const DEAD_BY_CATEGORY = `SELECT error_category AS category, count(*) AS count FROM jobs INDEXED BY jobs_dead_by_category
  WHERE state = 'dead' GROUP BY error_category`
export const DEAD_BY_PROVIDER = `SELECT provider, count(*) AS count FROM jobs INDEXED BY jobs_dead_by_provider WHERE state = 'dead' GROUP BY provider`

/** Counts by category and provider: a walk of the dead-only indexes, never of the jobs table. */
export function deadStats(db: Database): DeadStats {
  const most = <T extends { count: number }>(rows: T[]) => rows.sort((a, b) => b.count - a.count)
  return db
    .transaction(() => ({
      total: sql(db, `SELECT n FROM job_counts WHERE state = 'dead'`).pluck().get() as number,
      byCategory: most(sql(db, DEAD_BY_CATEGORY).all() as DeadStats['byCategory']),
      byProvider: most(sql(db, DEAD_BY_PROVIDER).all() as DeadStats['byProvider']),
    }))
    .deferred()
}

/** The next slice of matching dead jobs after `after`, in id order. */
export function sliceQuery(selection: DeadSelection, after: number): { text: string; args: Args } {
  const args: Args = { after, slice: SLICE }
  if ('ids' in selection) {
    args.ids = JSON.stringify(selection.ids)
    return { text: `SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(@ids)) AND state = 'dead' AND id > @after ORDER BY id LIMIT @slice`, args }
  }
  return { text: `SELECT id FROM ${deadSource(selection.where, args)} AND id > @after ORDER BY id LIMIT @slice`, args }
}

function nextSlice(db: Database, selection: DeadSelection, after: number): number[] {
  const { text, args } = sliceQuery(selection, after)
  return sql(db, text).pluck().all(args) as number[]
}

/** Runs `change` on each slice of the selected dead jobs, one transaction a slice; returns how many it took. */
function inSlices(db: Database, selection: DeadSelection, change: (ids: string, n: number) => void): number {
  let after = 0
  let total = 0
  for (;;) {
    const taken = db
      .transaction(() => {
        const ids = nextSlice(db, selection, after)
        if (ids.length) change(JSON.stringify(ids), ids.length)
        return ids
      })
      .immediate()
    total += taken.length
    if (taken.length < SLICE) return total
    after = taken.at(-1)!
  }
}

/** The selection in the operator's words, as the events of a bulk move say it. */
export function describe(selection: DeadSelection): string {
  if ('ids' in selection) return 'by id'
  const { category, provider, batchId } = selection.where
  const parts = [category && `category ${category}`, provider && `provider ${provider}`, batchId !== undefined && `batch ${batchId}`].filter(Boolean)
  return parts.length ? `dead jobs of ${parts.join(', ')}` : 'all dead jobs'
}

/** Sends the selected dead jobs back to the queue with fresh attempts (their full max_attempts again). */
export function retryDead(db: Database, selection: DeadSelection, now: number): number {
  const detail = `retried by the operator (${describe(selection)})`
  return inSlices(db, selection, (ids, n) => {
    sql(
      db,
      `UPDATE jobs SET state = 'queued', run_at = @now, updated_at = @now, finished_at = NULL, attempts_made = 0, stalled_count = 0, auth_refunds = 0,
      last_error = NULL, error_category = NULL, output = NULL WHERE id IN (SELECT value FROM json_each(@ids))`,
    ).run({ now, ids })
    sql(db, `INSERT INTO job_events (job_id, at, from_state, to_state, detail) SELECT value, ?, 'dead', 'queued', ? FROM json_each(?)`).run(now, detail, ids)
    adjustCounts(db, { dead: -n, queued: n })
  })
}

/** Deletes the selected dead jobs with their attempts and events; their failure groups and regression cases stay. */
export function purgeDead(db: Database, selection: DeadSelection): number {
  return inSlices(db, selection, (ids, n) => {
    sql(db, 'DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?))').run(ids)
    adjustCounts(db, { dead: -n })
  })
}
