/**
 * The job list's arithmetic, apart from the store that drives it: what a query is, where an
 * incoming row goes among the rows loaded, how a refreshed head joins them, and how job
 * changes apply in place. Pure functions, tested on their own.
 */
import type { JobChange } from '../../../shared/contract'
import { comparePositions, positionOf, type JobFilters, type JobPage, type JobSort, type ListPosition } from '../../../shared/job-list'
import type { JobState, JobSummary, QueueCounts } from '../../../shared/jobs'
import { totalOf, type JobProgress } from './queue'

export type ListQuery = JobFilters & { sort: JobSort }
export const NO_QUERY: ListQuery = { sort: 'newest' }

export const hasFilters = (query: ListQuery): boolean =>
  query.provider !== undefined || query.model !== undefined || query.batchId !== undefined || query.tag !== undefined || query.search !== undefined

/** How many jobs the list stands for: the counts for a state or all, else what the engine or the rows say. */
export function shownTotal(
  state: { query: ListQuery; total: { count: number; capped: boolean } | null; next: ListPosition | null; rows: JobSummary[] },
  counts: QueueCounts,
): { count: number; capped: boolean } | null {
  if (!hasFilters(state.query)) return { count: state.query.state ? counts[state.query.state] : totalOf(counts), capped: false }
  if (state.next === null) return { count: state.rows.length, capped: false }
  return state.total
}

export const matchesState = (filter: JobState | undefined, state: JobState): boolean => filter === undefined || filter === state

export function filtersOf(query: ListQuery): JobFilters & { sort: JobSort } {
  // Only what is set: the contract is strict about unknown keys, not about missing ones.
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as ListQuery
}

/** True when a job at `position` falls among the rows loaded (before where the next page would start). */
export function withinLoaded(sort: JobSort, position: ListPosition, next: ListPosition | null): boolean {
  return next === null || comparePositions(sort, position, next) <= 0
}

/** Inserts or replaces rows, keeping the sort's order. */
export function placeRows(rows: JobSummary[], incoming: JobSummary[], sort: JobSort): JobSummary[] {
  if (incoming.length === 0) return rows
  const byId = new Map(incoming.map((job) => [job.id, job]))
  const kept = rows.map((row) => byId.get(row.id) ?? row)
  const known = new Set(rows.map((row) => row.id))
  const added = incoming.filter((job) => !known.has(job.id))
  if (added.length === 0) return kept
  const order = (a: JobSummary, b: JobSummary) => comparePositions(sort, positionOf(sort, a), positionOf(sort, b))
  return [...kept, ...added].sort(order)
}

/**
 * A fresh head of the list over what is loaded: the head is the truth up to where it ended,
 * the rows after that are kept. Returns the rows and where the next page starts.
 *
 * New jobs come at the top newest first, so there the head catches them all. In the other
 * sorts a new job can land past the head (the end of oldest first, the top of its priority):
 * a list that had reached its end then says there may be more, and the next page finds it.
 */
export function mergeHead(rows: JobSummary[], next: ListPosition | null, head: JobPage, sort: JobSort): { rows: JobSummary[]; next: ListPosition | null } {
  if (head.next === null) return { rows: head.jobs, next: null }
  const headEnd = head.next
  const first = rows[0]
  // The head ended before the rows begin: what lies between is unknown, so the list starts again from the head.
  if (!first || comparePositions(sort, headEnd, positionOf(sort, first)) < 0) return { rows: head.jobs, next: headEnd }
  const fresh = new Set(head.jobs.map((job) => job.id))
  const beyond = rows.filter((row) => !fresh.has(row.id) && comparePositions(sort, positionOf(sort, row), headEnd) > 0)
  const last = beyond.length > 0 ? positionOf(sort, beyond.at(-1)!) : headEnd
  const further = next === null ? (sort === 'newest' ? null : last) : comparePositions(sort, next, headEnd) > 0 ? next : headEnd
  return { rows: [...head.jobs, ...beyond], next: further }
}

/** Rows with changes applied in place; rows that left the state filter go. Returns the ids it did not hold. */
export function applyChanges(
  rows: JobSummary[],
  changes: JobChange[],
  filter: JobState | undefined,
): { rows: JobSummary[]; unknown: JobChange[]; touched: JobChange[] } {
  if (changes.length === 0) return { rows, unknown: [], touched: [] }
  const latest = new Map(changes.map((change) => [change.id, change]))
  const unknown: JobChange[] = []
  const held = new Set(rows.map((row) => row.id))
  for (const change of latest.values()) if (!held.has(change.id)) unknown.push(change)
  const touched: JobChange[] = []
  const next: JobSummary[] = []
  for (const row of rows) {
    const change = latest.get(row.id)
    if (!change) {
      next.push(row)
      continue
    }
    touched.push(change)
    if (!matchesState(filter, change.state)) continue
    // A held reason is about waiting: it no longer holds once the job moves.
    next.push({ ...row, state: change.state, attemptsMade: change.attemptsMade, ...(change.state !== row.state ? { held: null } : {}) })
  }
  return { rows: next, unknown, touched }
}

/** Progress only for rows that are running, so finished jobs do not keep theirs. */
export function runningProgress(progress: Record<number, JobProgress>, rows: JobSummary[]): Record<number, JobProgress> {
  const kept: Record<number, JobProgress> = {}
  for (const row of rows) if (row.state === 'active' && progress[row.id]) kept[row.id] = progress[row.id]!
  return kept
}
