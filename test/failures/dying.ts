/** Jobs that fail through the store's real claim and settle, the way an engine would make them fail. */
import type { NewJob } from '../../src/main/queue/store'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { job, T0 } from '../support/queue'

export interface Failing {
  prompt: string
  category: string
  message: string
  provider?: string
  /** More than 1 and a retryable category: the job goes back to the queue instead of dying. */
  maxAttempts?: number
  overrides?: Partial<NewJob>
}

/** Enqueues the jobs as one batch, claims them, and settles each with its error; returns their ids in order. */
export function failJobs(store: SqliteQueueStore, failing: Failing[], at = T0, batch = 'failing'): number[] {
  const { jobIds } = store.enqueue(
    failing.map((f) => job(f.prompt, { provider: f.provider ?? 'sim', maxAttempts: f.maxAttempts ?? 1, runAt: at, ...f.overrides })),
    batch,
    at,
  )
  failAgain(store, jobIds, failing, at)
  return jobIds
}

/** Claims the given queued jobs and settles each with its error. */
export function failAgain(store: SqliteQueueStore, ids: number[], failing: Pick<Failing, 'category' | 'message'>[], at = T0): void {
  const { jobs } = store.claim({ owner: 'test', limit: 10_000, now: at, leaseMs: 60_000 })
  const claimed = new Set(jobs.map((j) => j.id))
  for (const id of ids) if (!claimed.has(id)) throw new Error(`job ${id} was not claimed`)
  store.settle(
    ids.map((id, i) => ({
      id,
      outcome: 'error' as const,
      endedAt: at + 1,
      category: failing[i]!.category,
      message: failing[i]!.message,
      retryable: true,
      retryAt: at + 1,
    })),
    'test',
  )
}

export const dead = (store: SqliteQueueStore): number[] => store.db.prepare(`SELECT id FROM jobs WHERE state = 'dead' ORDER BY id`).pluck().all() as number[]
