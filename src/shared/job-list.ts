/**
 * The jobs screen's list as the contract carries it: filters, sorts, keyset positions,
 * bulk actions and the choices the filters offer. Positions are compared here, once, so
 * the engine's pages and the renderer's live merging agree on what comes first.
 */
import { z } from 'zod'
import { JobState, JobSummary, PRIORITY_RANK } from './jobs'

/** newest: by id, newest first; oldest: the reverse; priority: high first, newest first within a priority. */
export const JOB_SORTS = ['newest', 'oldest', 'priority'] as const
export const JobSort = z.enum(JOB_SORTS)
export type JobSort = z.infer<typeof JobSort>

/** Most ids one bulk cancel or retry takes; the screen sends larger selections in slices. */
export const MAX_BULK = 1000
/** A count past this many is reported as "at least": counting further would scan too much. */
export const TOTAL_CAP = 10_000
export const MAX_SEARCH_CHARS = 200

/**
 * Where a page ended, in its sort's order: the next page holds the jobs after it. `priority`
 * is the priority's rank (0 high, 1 normal, 2 low), used by the priority sort only. A page
 * may end before it is full (it looked at as many jobs as one call may), at a position
 * that is not a job's.
 */
export const ListPosition = z
  .object({
    id: z.number().int().min(0),
    priority: z.number().int().min(0).max(2).optional(),
  })
  .strict()
export type ListPosition = z.infer<typeof ListPosition>

export const JobFilters = z.object({
  state: JobState.optional(),
  provider: z.string().trim().min(1).max(100).optional(),
  model: z.string().trim().min(1).max(500).optional(),
  batchId: z.number().int().positive().optional(),
  tag: z.string().trim().min(1).max(100).optional(),
  /** Text in the prompt, any case (for ASCII letters). */
  search: z.string().trim().min(1).max(MAX_SEARCH_CHARS).optional(),
})
export type JobFilters = z.infer<typeof JobFilters>

/** A page of the list: `next` is null when nothing follows. */
export const JobPage = z.object({
  jobs: z.array(JobSummary),
  next: ListPosition.nullable(),
  /** Jobs the filter matches, when that is cheap to know (first pages only). */
  total: z.number().int().optional(),
  /** `total` is a floor: at least that many match. */
  totalCapped: z.boolean().optional(),
})
export type JobPage = z.infer<typeof JobPage>

export function positionOf(sort: JobSort, job: Pick<JobSummary, 'id' | 'priority'>): ListPosition {
  return sort === 'priority' ? { id: job.id, priority: PRIORITY_RANK[job.priority] } : { id: job.id }
}

/** Negative when `a` comes before `b` in the sort's order, positive after, 0 when the same. */
export function comparePositions(sort: JobSort, a: ListPosition, b: ListPosition): number {
  if (sort === 'oldest') return a.id - b.id
  if (sort === 'priority') {
    const byPriority = (a.priority ?? 1) - (b.priority ?? 1)
    if (byPriority !== 0) return byPriority
  }
  return b.id - a.id
}

/** What a bulk cancel or retry did: the jobs it changed, and why it left the others. */
export const BulkResult = z.object({
  done: z.array(z.number().int()),
  skipped: z.array(z.object({ id: z.number().int(), reason: z.string() })),
})
export type BulkResult = z.infer<typeof BulkResult>

/** The values the filters offer: providers and their models, recent batches, tags of recent jobs. */
export const JobFilterOptions = z.object({
  providers: z.array(z.object({ provider: z.string(), models: z.array(z.string()), defaultModel: z.boolean() })),
  batches: z.array(z.object({ id: z.number().int(), name: z.string(), createdAt: z.number(), jobCount: z.number().int() })),
  tags: z.array(z.string()),
})
export type JobFilterOptions = z.infer<typeof JobFilterOptions>

/** A query as one stable string (`sort=newest&state=dead`): what the list announces it shows, for tests and links. */
export function queryKey(query: JobFilters & { sort?: JobSort | undefined }): string {
  return Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .sort()
    .join('&')
}
