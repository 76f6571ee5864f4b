/**
 * The jobs screen's list: pages of jobs under any mix of filters, in one of three sorts,
 * by keyset (never OFFSET), and the choices the filters offer.
 *
 * A filter one index answers exactly (a state, a batch, a provider and model, a priority)
 * is one indexed query per page. Anything else (a search in prompts, a tag, a provider
 * without its model, two filters at once) is answered window by window: each query looks at
 * the jobs of a range of ids only, and a call stops when its page is full or its time is up,
 * handing back where it stopped. A search that matches nothing in a million jobs is then
 * many short calls instead of one that holds the main thread for half a second; the screen
 * keeps asking while it has room to show more.
 */
import type { Database } from 'better-sqlite3'
import { TOTAL_CAP, type JobFilterOptions, type JobPage, type JobSort, type ListPosition } from '../../../../shared/job-list'
import { sql } from '../db/connection'
import type { ListOptions } from '../../../queue/store'
import { LOADING_IDS, NOT_LOADING } from './load'
import { queueStats } from './read'
import { SUMMARY_COLUMNS, toSummary, type JobRow } from './rows'

/** Ids one windowed query looks at: about 5 ms of rows read on a small machine. */
export const LIST_WINDOW = 10_000
/** A windowed call stops after this long with what it found, and says where to go on. */
export const LIST_BUDGET_MS = 20

type Args = Record<string, number | string>

interface Source {
  /** Conditions joined by AND; empty for every job. */
  where: string[]
  args: Args
  /** One index answers every condition in id order: no windows needed. */
  exact: boolean
}

/** LIKE's wildcards and its escape character, taken literally. */
export const likePattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * The conditions of a filter, for one priority of the priority sort when `priority` is given.
 * `loading`: whether a batch is still loading (its jobs are not listed until it is whole; the
 * list is then walked window by window, so that passing over them never holds the thread long).
 */
export function listSource(options: ListOptions, now: number, priority?: number, loading = false): Source {
  const where: string[] = []
  const args: Args = {}
  // Which single index would answer the conditions exactly, by name; more than one means none does.
  const served = new Set<string>()
  let residual = loading
  if (loading) where.push(NOT_LOADING)
  const { state } = options
  if (state === 'delayed' || state === 'queued') {
    where.push(`state = 'queued' AND run_at ${state === 'delayed' ? '>' : '<='} @now`)
    args.now = now
    residual = true
  } else if (state !== undefined) {
    where.push('state = @state')
    args.state = state
    served.add('state')
  }
  if (options.batchId !== undefined) {
    where.push('batch_id = @batchId')
    args.batchId = options.batchId
    served.add('batch')
  }
  if (options.provider !== undefined) {
    where.push('provider = @provider')
    args.provider = options.provider
    served.add('model')
  }
  if (options.model !== undefined) {
    where.push('model = @model')
    args.model = options.model
    served.add('model')
    if (options.provider === undefined) residual = true
  } else if (options.provider !== undefined) residual = true
  if (priority !== undefined) {
    where.push('priority = @priority')
    args.priority = priority
    served.add('priority')
  }
  if (options.tag !== undefined) {
    // instr on the quoted tag skips most rows cheaply; json_each makes it exact (and a damaged tags column matches nothing).
    where.push(`instr(tags, @tagJson) > 0 AND CASE WHEN json_valid(tags) THEN EXISTS (SELECT 1 FROM json_each(jobs.tags) WHERE value = @tag) ELSE 0 END`)
    args.tag = options.tag
    args.tagJson = JSON.stringify(options.tag)
    residual = true
  }
  if (options.search !== undefined) {
    where.push(`prompt LIKE @search ESCAPE '\\'`)
    args.search = likePattern(options.search)
    residual = true
  }
  if (options.ids !== undefined) {
    where.push('id IN (SELECT value FROM json_each(@ids))')
    args.ids = JSON.stringify(options.ids)
  }
  return { where, args, exact: options.ids !== undefined || (!residual && served.size <= 1) }
}

const whereOf = (conditions: string[]): string => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '')

/** The query for a page of a source, newest first (`desc`) or oldest first, between optional id bounds (exclusive `from`, inclusive `to`). */
export function pageQuery(source: Source, desc: boolean, bounds: { from?: number; to?: number }): string {
  const conditions = [...source.where]
  if (bounds.from !== undefined) conditions.push(desc ? 'id < @from' : 'id > @from')
  if (bounds.to !== undefined) conditions.push(desc ? 'id >= @to' : 'id <= @to')
  return `SELECT ${SUMMARY_COLUMNS} FROM jobs ${whereOf(conditions)} ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT @limit`
}

interface Span {
  min: number
  max: number
}

/** How much one windowed call looks at; tests make both small to walk many windows over few jobs. */
export interface ListTuning {
  window: number
  budgetMs: number
}

interface Walk {
  rows: JobRow[]
  /** Where the walk stopped, or null when it reached the end of the source. */
  stoppedAt: number | null
}

/**
 * Reads a source's jobs in id order from `from` (exclusive) until `need` are found, the
 * ids run out, or the deadline passes (windowed sources only).
 */
function walk(db: Database, source: Source, desc: boolean, from: number | undefined, need: number, deadline: number, span: Span, window: number): Walk {
  if (source.exact) {
    const rows = sql(db, pageQuery(source, desc, { from })).all({ ...source.args, limit: need, ...(from !== undefined ? { from } : {}) }) as JobRow[]
    return { rows, stoppedAt: rows.length === need ? rows.at(-1)!.id : null }
  }
  const rows: JobRow[] = []
  let at = from ?? (desc ? span.max + 1 : span.min - 1)
  for (;;) {
    const to = desc ? Math.max(at - window, span.min) : Math.min(at + window, span.max)
    if (desc ? at <= span.min : at >= span.max) return { rows, stoppedAt: null }
    const found = sql(db, pageQuery(source, desc, { from: at, to })).all({ ...source.args, from: at, to, limit: need - rows.length }) as JobRow[]
    rows.push(...found)
    if (rows.length === need) return { rows, stoppedAt: rows.at(-1)!.id }
    // The window between `at` and `to` has been looked at whole: the next one starts past it.
    at = to
    if (desc ? at <= span.min : at >= span.max) return { rows, stoppedAt: null }
    if (performance.now() >= deadline) return { rows, stoppedAt: at }
  }
}

/** Priority ranks in the priority sort's order; a position past every id starts a priority from its newest job. */
const PRIORITIES = [0, 1, 2]
const BEFORE_ALL = Number.MAX_SAFE_INTEGER

/** A page of jobs: see the module comment for how a filter is answered. */
export function listJobs(db: Database, options: ListOptions, now: number, tuning: ListTuning = { window: LIST_WINDOW, budgetMs: LIST_BUDGET_MS }): JobPage {
  const sort: JobSort = options.sort ?? 'newest'
  const limit = options.limit
  const after: ListPosition | undefined = options.after ?? (options.beforeId !== undefined ? { id: options.beforeId } : undefined)
  const span = sql(db, 'SELECT ifnull(min(id), 0) AS min, ifnull(max(id), 0) AS max FROM jobs').get() as Span
  // A table within one window is read in one query a priority: nothing long to cut short, and a cut there would come
  // of a pause of the process, not of the work (a busy machine), and only cost the page its total.
  const deadline = span.max - span.min <= tuning.window ? Infinity : performance.now() + tuning.budgetMs
  const loading = sql(db, LOADING_IDS).get() !== undefined
  const rows: JobRow[] = []
  let next: ListPosition | null = null

  if (options.ids !== undefined) {
    // A refresh of known rows: every one in one query, then in the sort's order.
    const source = listSource(options, now, undefined, loading)
    rows.push(...walk(db, source, sort !== 'oldest', undefined, Math.min(limit, options.ids.length), Infinity, span, tuning.window).rows)
    if (sort === 'priority') rows.sort((a, b) => a.priority - b.priority || b.id - a.id)
  } else if (sort === 'priority') {
    for (const p of PRIORITIES.filter((p) => p >= (after?.priority ?? 0))) {
      const from = after && p === (after.priority ?? 0) && after.id < BEFORE_ALL ? after.id : undefined
      const result = walk(db, listSource(options, now, p, loading), true, from, limit - rows.length, deadline, span, tuning.window)
      rows.push(...result.rows)
      if (result.stoppedAt !== null) {
        next = { id: result.stoppedAt, priority: p }
        break
      }
      if (p < 2 && performance.now() >= deadline) {
        next = { id: BEFORE_ALL, priority: p + 1 }
        break
      }
    }
  } else {
    const result = walk(db, listSource(options, now, undefined, loading), sort === 'newest', after?.id, limit, deadline, span, tuning.window)
    rows.push(...result.rows)
    next = result.stoppedAt === null ? null : { id: result.stoppedAt }
  }

  const jobs = rows.map((row) => toSummary(row, now))
  return { jobs, next, ...(after === undefined && options.ids === undefined ? totalOf(db, options, now, jobs.length, next, loading) : {}) }
}

/** The count for a first page, when it is cheap: maintained counts, an indexed count capped at TOTAL_CAP, or a page that holds them all. */
function totalOf(
  db: Database,
  options: ListOptions,
  now: number,
  found: number,
  next: ListPosition | null,
  loading: boolean,
): { total?: number; totalCapped?: boolean } {
  const { state, ...others } = options
  const otherFilters = (['batchId', 'provider', 'model', 'tag', 'search'] as const).filter((key) => others[key] !== undefined)
  if (otherFilters.length === 0) {
    const { counts } = queueStats(db, now)
    return { total: state ? counts[state] : Object.values(counts).reduce((sum, n) => sum + n, 0) }
  }
  if (next === null) return { total: found }
  const source = listSource(options, now, undefined, loading)
  if (!source.exact) return {}
  const counted = sql(db, `SELECT count(*) FROM (SELECT 1 FROM jobs ${whereOf(source.where)} LIMIT ${TOTAL_CAP + 1})`)
    .pluck()
    .get(source.args) as number
  return counted > TOTAL_CAP ? { total: TOTAL_CAP, totalCapped: true } : { total: counted }
}

const MAX_PROVIDERS = 100
const MAX_MODELS = 100
const MAX_BATCHES = 100
const MAX_TAGS = 200
/** Tags are offered from the newest jobs only: reading every job's tags would scan the table. */
const TAG_SAMPLE = 2000

export const FIRST_PROVIDER = 'SELECT provider FROM jobs INDEXED BY jobs_by_model WHERE provider > ? ORDER BY provider LIMIT 1'
export const NEXT_MODEL = 'SELECT model FROM jobs INDEXED BY jobs_by_model WHERE provider = ? AND model > ? ORDER BY model LIMIT 1'
const DEFAULT_MODEL = 'SELECT 1 FROM jobs INDEXED BY jobs_by_model WHERE provider = ? AND model IS NULL LIMIT 1'

/**
 * Providers and models by seeking from one to the next in jobs_by_model: one seek each, whatever the number of jobs.
 * A provider only a batch still loading has is offered meanwhile (the index cannot tell its jobs without reading
 * each row): picking it lists nothing until the batch is in.
 */
export function jobFilterOptions(db: Database): JobFilterOptions {
  const nextProvider = sql(db, FIRST_PROVIDER).pluck()
  const nextModel = sql(db, NEXT_MODEL).pluck()
  const hasDefault = sql(db, DEFAULT_MODEL).pluck()
  const providers: JobFilterOptions['providers'] = []
  let provider = nextProvider.get('') as string | undefined
  while (provider !== undefined && providers.length < MAX_PROVIDERS) {
    const models: string[] = []
    let model = nextModel.get(provider, '') as string | undefined
    while (model !== undefined && models.length < MAX_MODELS) {
      models.push(model)
      model = nextModel.get(provider, model) as string | undefined
    }
    providers.push({ provider, models, defaultModel: hasDefault.get(provider) !== undefined })
    provider = nextProvider.get(provider) as string | undefined
  }
  const batches = (
    sql(db, `SELECT id, name, created_at, job_count FROM batches WHERE loading_owner IS NULL ORDER BY id DESC LIMIT ${MAX_BATCHES}`).all() as {
      id: number
      name: string
      created_at: number
      job_count: number
    }[]
  ).map((batch) => ({ id: batch.id, name: batch.name, createdAt: batch.created_at, jobCount: batch.job_count }))
  const tags = sql(
    db,
    `SELECT DISTINCT tag.value FROM jobs, json_each(CASE WHEN json_valid(jobs.tags) THEN jobs.tags ELSE '[]' END) AS tag
     WHERE jobs.id > (SELECT ifnull(max(id), 0) FROM jobs) - ${TAG_SAMPLE} AND jobs.tags IS NOT NULL AND tag.type = 'text' AND ${NOT_LOADING}
     ORDER BY 1 LIMIT ${MAX_TAGS}`,
  )
    .pluck()
    .all() as string[]
  return { providers, batches, tags }
}
