/**
 * The jobs screen's list on PostgreSQL: pages of jobs under any mix of filters, in one of
 * three sorts, by keyset on id (never OFFSET), and the choices the filters offer.
 *
 * Unlike SQLite's (store/sqlite/queue/list.ts), a page is one statement whatever the
 * filters: the query runs on the server, not on the engine's main thread, so there is no
 * need to cut a slow search into windows. A page is full or the last one; its `next` is the
 * last id it holds.
 */
import { TOTAL_CAP, type JobFilterOptions, type JobPage, type JobSort, type ListPosition } from '../../../shared/job-list'
import type { ListOptions } from '../../queue/store'
import { likePattern, listSource } from '../sqlite/queue/list'
import { SUMMARY_COLUMNS, toSummary, type JobRow } from '../sqlite/queue/rows'
import { queueStats } from './read'
import type { Queryable } from './transaction'

/** Conditions joined by AND, their parameters numbered from $1 in `params`. */
interface Filter {
  where: string[]
  params: unknown[]
}

/** SQLite's LIKE folds the case of ASCII letters only: so does this, on both sides. */
const FOLD = `translate(prompt, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`
const foldAscii = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase())

/** The conditions of a filter, for one priority of the priority sort when `priority` is given. */
export function listFilter(options: ListOptions, now: number, priority?: number): Filter {
  const where: string[] = []
  const params: unknown[] = []
  const param = (value: unknown): string => `$${params.push(value)}`
  const { state } = options
  if (state === 'delayed' || state === 'queued') where.push(`state = 'queued' AND run_at ${state === 'delayed' ? '>' : '<='} ${param(now)}`)
  else if (state !== undefined) where.push(`state = ${param(state)}`)
  if (options.batchId !== undefined) where.push(`batch_id = ${param(options.batchId)}`)
  if (options.provider !== undefined) where.push(`provider = ${param(options.provider)}`)
  if (options.model !== undefined) where.push(`model = ${param(options.model)}`)
  if (priority !== undefined) where.push(`priority = ${param(priority)}`)
  // Containment of a one-string array: a tag that is a string element of the array, as SQLite's json_each compares.
  if (options.tag !== undefined) where.push(`tags @> jsonb_build_array(${param(options.tag)}::text)`)
  if (options.search !== undefined) where.push(`${FOLD} LIKE ${param(foldAscii(likePattern(options.search)))} ESCAPE '\\'`)
  if (options.ids !== undefined) where.push(`id = ANY(${param(options.ids)}::bigint[])`)
  return { where, params }
}

const whereOf = (conditions: string[]): string => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : '')

/** A page of a filter's jobs, newest first (`desc`) or oldest first, after an id (exclusive). */
export function pageStatement(filter: Filter, desc: boolean, from: number | undefined, limit: number): { text: string; params: unknown[] } {
  const params = [...filter.params]
  const conditions = [...filter.where]
  if (from !== undefined) conditions.push(`id ${desc ? '<' : '>'} $${params.push(from)}`)
  const text = `SELECT ${SUMMARY_COLUMNS} FROM jobs ${whereOf(conditions)} ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT $${params.push(limit)}`
  return { text, params }
}

async function page(client: Queryable, filter: Filter, desc: boolean, from: number | undefined, limit: number): Promise<JobRow[]> {
  if (limit <= 0) return []
  const { text, params } = pageStatement(filter, desc, from, limit)
  return (await client.query<JobRow>(text, params)).rows
}

/** Priority ranks in the priority sort's order; a position past every id starts a priority from its newest job (as SQLite's list hands out). */
const PRIORITIES = [0, 1, 2]
const BEFORE_ALL = Number.MAX_SAFE_INTEGER

export async function listJobs(client: Queryable, options: ListOptions, now: number): Promise<JobPage> {
  const sort: JobSort = options.sort ?? 'newest'
  const limit = options.limit
  const after: ListPosition | undefined = options.after ?? (options.beforeId !== undefined ? { id: options.beforeId } : undefined)
  const rows: JobRow[] = []
  let next: ListPosition | null = null

  if (options.ids !== undefined) {
    // A refresh of known rows: every one in one query, then in the sort's order.
    rows.push(...(await page(client, listFilter(options, now), sort !== 'oldest', undefined, Math.min(limit, options.ids.length))))
    if (sort === 'priority') rows.sort((a, b) => a.priority - b.priority || b.id - a.id)
  } else if (sort === 'priority') {
    for (const p of PRIORITIES.filter((p) => p >= (after?.priority ?? 0))) {
      const from = after && p === (after.priority ?? 0) && after.id < BEFORE_ALL ? after.id : undefined
      const need = limit - rows.length
      const found = await page(client, listFilter(options, now, p), true, from, need)
      rows.push(...found)
      if (found.length === need) {
        next = { id: found.at(-1)!.id, priority: p }
        break
      }
    }
  } else {
    rows.push(...(await page(client, listFilter(options, now), sort === 'newest', after?.id, limit)))
    next = rows.length === limit && limit > 0 ? { id: rows.at(-1)!.id } : null
  }

  const jobs = rows.map((row) => toSummary(row, now))
  return { jobs, next, ...(after === undefined && options.ids === undefined ? await totalOf(client, options, now, jobs.length, next) : {}) }
}

/** The count for a first page when it is cheap, by SQLite's rule: kept counts, a page that holds them all, or a capped count one index answers. */
async function totalOf(
  client: Queryable,
  options: ListOptions,
  now: number,
  found: number,
  next: ListPosition | null,
): Promise<{ total?: number; totalCapped?: boolean }> {
  const { state, ...others } = options
  const otherFilters = (['batchId', 'provider', 'model', 'tag', 'search'] as const).filter((key) => others[key] !== undefined)
  if (otherFilters.length === 0) {
    const { counts } = await queueStats(client, now)
    return { total: state ? counts[state] : Object.values(counts).reduce((sum, n) => sum + n, 0) }
  }
  if (next === null) return { total: found }
  // Which filters one index answers is the same question on both stores: SQLite's list decides it.
  if (!listSource(options, now).exact) return {}
  const filter = listFilter(options, now)
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM jobs ${whereOf(filter.where)} LIMIT ${TOTAL_CAP + 1}) AS capped`,
    filter.params,
  )
  const counted = rows[0]!.n
  return counted > TOTAL_CAP ? { total: TOTAL_CAP, totalCapped: true } : { total: counted }
}

const MAX_PROVIDERS = 100
const MAX_MODELS = 100
const MAX_BATCHES = 100
const MAX_TAGS = 200
/** Tags are offered from the newest jobs only: reading every job's tags would scan the table. */
const TAG_SAMPLE = 2000

/** Providers by seeking from one to the next in jobs_by_model (a loose index scan): one seek each, whatever the number of jobs. */
export const PROVIDERS = `WITH RECURSIVE p(provider, n) AS (
    SELECT (SELECT min(provider) FROM jobs), 1
    UNION ALL SELECT (SELECT min(provider) FROM jobs WHERE provider > p.provider), n + 1 FROM p WHERE p.provider IS NOT NULL AND n < ${MAX_PROVIDERS})
  SELECT provider, EXISTS (SELECT 1 FROM jobs WHERE jobs.provider = p.provider AND model IS NULL) AS "defaultModel" FROM p WHERE provider IS NOT NULL`
/** Each provider's models the same way. */
export const MODELS = `WITH RECURSIVE m(provider, model, n) AS (
    SELECT p, (SELECT min(model) FROM jobs WHERE provider = p), 1 FROM unnest($1::text[]) AS p
    UNION ALL SELECT m.provider, (SELECT min(model) FROM jobs WHERE provider = m.provider AND model > m.model), n + 1
      FROM m WHERE m.model IS NOT NULL AND n < ${MAX_MODELS})
  SELECT provider, model FROM m WHERE model IS NOT NULL`
const BATCHES = `SELECT id, name, created_at AS "createdAt", job_count AS "jobCount" FROM batches ORDER BY id DESC LIMIT ${MAX_BATCHES}`
const TAGS = `SELECT DISTINCT tag #>> '{}' AS tag FROM jobs, jsonb_array_elements(jobs.tags) AS tag
  WHERE jobs.id > (SELECT coalesce(max(id), 0) FROM jobs) - ${TAG_SAMPLE} AND jobs.tags IS NOT NULL AND jsonb_typeof(tag) = 'string'`

/** Byte order, as SQLite's BINARY collation sorts (the server's collation may not). */
const binary = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export async function jobFilterOptions(client: Queryable): Promise<JobFilterOptions> {
  const { rows: providerRows } = await client.query<{ provider: string; defaultModel: boolean }>(PROVIDERS)
  const { rows: modelRows } = await client.query<{ provider: string; model: string }>(MODELS, [providerRows.map((row) => row.provider)])
  const { rows: batches } = await client.query<JobFilterOptions['batches'][number]>(BATCHES)
  const { rows: tagRows } = await client.query<{ tag: string }>(TAGS)
  const providers = providerRows
    .map(({ provider, defaultModel }) => ({
      provider,
      models: modelRows
        .filter((row) => row.provider === provider)
        .map((row) => row.model)
        .sort(binary),
      defaultModel,
    }))
    .sort((a, b) => binary(a.provider, b.provider))
  const tags = tagRows
    .map((row) => row.tag)
    .sort(binary)
    .slice(0, MAX_TAGS)
  return { providers, batches, tags }
}
