/**
 * The counts the jobs table's triggers keep for every change of state (batch_counts,
 * batch_finishes, the jobs_finished totals), kept instead by the claim and the settle in one
 * write per key (migration 0026 says why). Their statements run with the triggers switched
 * off (`countedHere`), each move is noted here, and `write` adds them before the transaction
 * commits: the same rows the triggers would have written, in a few statements.
 */
import type { Database } from 'better-sqlite3'
import type { StoredState } from '../../../../shared/jobs'
import { sql } from '../db/connection'

/** The job a move belongs to, as the claim's and the settle's RETURNING give it. */
export interface MovedJob {
  batch_id: number | null
  provider: string
  model: string | null
}

const FINISHED: ReadonlySet<StoredState> = new Set(['completed', 'dead', 'cancelled'])
const MINUTE_MS = 60_000

const BATCH_COUNT = `INSERT INTO batch_counts (batch_id, state, n) VALUES (?, ?, ?)
  ON CONFLICT (batch_id, state) DO UPDATE SET n = n + excluded.n`
const BATCH_FINISHES = `INSERT INTO batch_finishes (batch_id, minute, completed, dead) VALUES (?, ?, ?, ?)
  ON CONFLICT (batch_id, minute) DO UPDATE SET completed = completed + excluded.completed, dead = dead + excluded.dead`
const JOBS_FINISHED = `INSERT INTO metric_totals (metric, provider, model, detail, n) VALUES ('jobs_finished', ?, ?, ?, ?)
  ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + excluded.n`

export class StateMoves {
  private readonly batchCounts = new Map<number, Map<StoredState, number>>()
  private readonly batchFinishes = new Map<number, Map<number, { completed: number; dead: number }>>()
  /** provider, then model ('' for none), then the finished state. */
  private readonly finished = new Map<string, Map<string, Map<StoredState, number>>>()

  moved(job: MovedJob, from: StoredState, to: StoredState, at: number): void {
    if (from === to) return
    if (job.batch_id !== null) {
      const counts = lookUp(this.batchCounts, job.batch_id, () => new Map<StoredState, number>())
      counts.set(from, (counts.get(from) ?? 0) - 1)
      counts.set(to, (counts.get(to) ?? 0) + 1)
      if (to === 'completed' || to === 'dead') {
        const minutes = lookUp(this.batchFinishes, job.batch_id, () => new Map<number, { completed: number; dead: number }>())
        const minute = lookUp(minutes, Math.floor(at / MINUTE_MS), () => ({ completed: 0, dead: 0 }))
        minute[to]++
      }
    }
    if (FINISHED.has(to)) {
      const byState = lookUp(
        lookUp(this.finished, job.provider, () => new Map()),
        job.model ?? '',
        () => new Map<StoredState, number>(),
      )
      byState.set(to, (byState.get(to) ?? 0) + 1)
    }
  }

  /** Adds every move noted, inside the transaction that made them. */
  write(db: Database): void {
    if (this.batchCounts.size > 0) {
      const add = sql(db, BATCH_COUNT)
      for (const [batchId, counts] of this.batchCounts) for (const [state, n] of counts) if (n !== 0) add.run(batchId, state, n)
    }
    if (this.batchFinishes.size > 0) {
      const add = sql(db, BATCH_FINISHES)
      for (const [batchId, minutes] of this.batchFinishes) for (const [minute, { completed, dead }] of minutes) add.run(batchId, minute, completed, dead)
    }
    if (this.finished.size > 0) {
      const add = sql(db, JOBS_FINISHED)
      for (const [provider, models] of this.finished) for (const [model, states] of models) for (const [state, n] of states) add.run(provider, model, state, n)
    }
  }
}

/**
 * Runs `statements` with the state triggers off: every job they move must be noted in a
 * StateMoves written before the transaction commits. Call inside a transaction only, so no
 * other connection ever sees the switch set.
 */
export function countedHere<T>(db: Database, statements: () => T): T {
  if (!db.inTransaction) throw new Error('countedHere runs inside a transaction only')
  const set = sql(db, 'UPDATE counted_by_caller SET active = ? WHERE id = 1')
  set.run(1)
  try {
    return statements()
  } finally {
    set.run(0)
  }
}

function lookUp<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key)
  if (value === undefined) map.set(key, (value = make()))
  return value
}
