/**
 * The counts every change of a job's state moves besides job_counts: a batch's jobs by state,
 * its finishes by minute, and jobs finished by provider, model and outcome. Noted move by
 * move, read back grouped, one row per key: the SQLite store writes them in state-moves.ts,
 * the PostgreSQL store in store/postgres/batch-counts.ts. No SQL here.
 */
import type { StoredState } from '../../../../shared/jobs'

/** The job a move belongs to, as the claim's and the settle's RETURNING give it. */
export interface MovedJob {
  batch_id: number | null
  provider: string
  model: string | null
}

const FINISHED: ReadonlySet<StoredState> = new Set(['completed', 'dead', 'cancelled'])
const MINUTE_MS = 60_000

export class StateTally {
  private readonly counts = new Map<number, Map<StoredState, number>>()
  private readonly finishes = new Map<number, Map<number, { completed: number; dead: number }>>()
  /** provider, then model ('' for none), then the finished state. */
  private readonly finishedJobs = new Map<string, Map<string, Map<StoredState, number>>>()

  moved(job: MovedJob, from: StoredState, to: StoredState, at: number): void {
    if (from === to) return
    if (job.batch_id !== null) {
      this.added(job.batch_id, from, -1)
      this.added(job.batch_id, to, 1)
      if (to === 'completed' || to === 'dead') {
        const minutes = lookUp(this.finishes, job.batch_id, () => new Map<number, { completed: number; dead: number }>())
        const minute = lookUp(minutes, Math.floor(at / MINUTE_MS), () => ({ completed: 0, dead: 0 }))
        minute[to]++
      }
    }
    if (FINISHED.has(to)) {
      const byState = lookUp(
        lookUp(this.finishedJobs, job.provider, () => new Map()),
        job.model ?? '',
        () => new Map<StoredState, number>(),
      )
      byState.set(to, (byState.get(to) ?? 0) + 1)
    }
  }

  /** `n` jobs of a batch arrived in (n > 0) or left (n < 0) a state without moving from another: an enqueue, a deletion. */
  added(batchId: number, state: StoredState, n: number): void {
    const counts = lookUp(this.counts, batchId, () => new Map<StoredState, number>())
    counts.set(state, (counts.get(state) ?? 0) + n)
  }

  /** [batch, state, n] for every count that moved, by batch, then state. */
  batchCounts(): [batchId: number, state: StoredState, n: number][] {
    const rows: [number, StoredState, number][] = []
    for (const [batchId, counts] of this.counts) for (const [state, n] of counts) if (n !== 0) rows.push([batchId, state, n])
    return rows.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
  }

  /** [batch, minute, completed, dead], by batch, then minute. */
  batchFinishes(): [batchId: number, minute: number, completed: number, dead: number][] {
    const rows: [number, number, number, number][] = []
    for (const [batchId, minutes] of this.finishes) for (const [minute, { completed, dead }] of minutes) rows.push([batchId, minute, completed, dead])
    return rows.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  }

  /** [provider, model ('' for none), finished state, n]. */
  finished(): [provider: string, model: string, state: StoredState, n: number][] {
    const rows: [string, string, StoredState, number][] = []
    for (const [provider, models] of this.finishedJobs)
      for (const [model, states] of models) for (const [state, n] of states) rows.push([provider, model, state, n])
    return rows
  }
}

export function lookUp<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key)
  if (value === undefined) map.set(key, (value = make()))
  return value
}
