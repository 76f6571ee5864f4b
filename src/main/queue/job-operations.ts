/**
 * The jobs screen's bulk actions and filter choices. A bulk cancel or retry goes job by job
 * through the same store calls as the single ones (so a running job's attempt is stopped,
 * and the metrics count each cancel), a slice at a time with a turn of the event loop
 * between slices, so a thousand jobs never hold the main thread in one piece.
 */
import { OperationError, type JobChange, type OperationHandlers, type OperationOutput } from '../../shared/contract'
import type { BulkResult } from '../../shared/job-list'
import type { QueueStore } from './store'

/** Jobs changed between two turns of the event loop. */
const SLICE = 50

/** What a bulk action tells a running engine: the same as the single actions do. */
export interface BulkRuntime {
  jobsChanged(changes: JobChange[]): void
  abort(id: number): void
  kick(): void
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Why a job was left alone, in the operator's words; anything that is not the job's state is a real failure and propagates. */
function reasonOf(error: unknown): string {
  if (error instanceof OperationError && (error.code === 'CONFLICT' || error.code === 'NOT_FOUND')) return error.message
  throw error
}

async function eachJob(ids: readonly number[], act: (id: number) => Promise<JobChange | null>, changed: (changes: JobChange[]) => void): Promise<BulkResult> {
  const result: BulkResult = { done: [], skipped: [] }
  // One id given twice is acted on once.
  const unique = [...new Set(ids)]
  for (let start = 0; start < unique.length; start += SLICE) {
    if (start > 0) await nextTurn()
    const changes: JobChange[] = []
    for (const id of unique.slice(start, start + SLICE)) {
      try {
        const change = await act(id)
        if (change) changes.push(change)
        result.done.push(id)
      } catch (error) {
        result.skipped.push({ id, reason: reasonOf(error) })
      }
    }
    if (changes.length > 0) changed(changes)
  }
  return result
}

export function jobListHandlers(store: QueueStore, runtime: BulkRuntime): OperationHandlers<'cancelJobs' | 'retryJobs' | 'jobFilterOptions'> {
  return {
    cancelJobs: ({ ids }) =>
      eachJob(
        ids,
        async (id) => {
          const { change, wasActive } = await store.cancel(id, Date.now())
          if (wasActive) runtime.abort(id)
          return change
        },
        (changes) => runtime.jobsChanged(changes),
      ),
    retryJobs: async ({ ids }) => {
      const result = await eachJob(
        ids,
        async (id) => (await store.retry(id, Date.now(), ['dead', 'cancelled'])).change,
        (changes) => runtime.jobsChanged(changes),
      )
      if (result.done.length > 0) runtime.kick()
      return result
    },
    jobFilterOptions: async () => store.filterOptions(),
  }
}

type ListJobsInput = Parameters<OperationHandlers<'listJobs'>['listJobs']>[0]

/**
 * A page of `limit` jobs (or all there are), asking again while the engine hands back a
 * short page with more to look through: for callers that show one page and do not page
 * on (the CLI's `jobs list`).
 */
export async function fullPage(listJobs: OperationHandlers<'listJobs'>['listJobs'], input: ListJobsInput): Promise<OperationOutput<'listJobs'>> {
  const first = await listJobs(input)
  const jobs = [...first.jobs]
  let next = first.next
  while (next !== null && jobs.length < input.limit) {
    const page = await listJobs({ ...input, after: next, limit: input.limit - jobs.length })
    jobs.push(...page.jobs)
    next = page.next
  }
  return { ...first, jobs, next }
}
