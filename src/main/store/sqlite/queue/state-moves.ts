/**
 * The counts the jobs table's triggers keep for every change of state (batch_counts,
 * batch_finishes, the jobs_finished totals), kept instead by the claim and the settle in one
 * write per key (migration 0026 says why). Their statements run with the triggers switched
 * off (`countedHere`), each move is noted here, and `write` adds them before the transaction
 * commits: the same rows the triggers would have written, in a few statements.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'
import { StateTally } from './state-tally'

const BATCH_COUNT = `INSERT INTO batch_counts (batch_id, state, n) VALUES (?, ?, ?)
  ON CONFLICT (batch_id, state) DO UPDATE SET n = n + excluded.n`
const BATCH_FINISHES = `INSERT INTO batch_finishes (batch_id, minute, completed, dead) VALUES (?, ?, ?, ?)
  ON CONFLICT (batch_id, minute) DO UPDATE SET completed = completed + excluded.completed, dead = dead + excluded.dead`
const JOBS_FINISHED = `INSERT INTO metric_totals (metric, provider, model, detail, n) VALUES ('jobs_finished', ?, ?, ?, ?)
  ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + excluded.n`

export class StateMoves extends StateTally {
  /** Adds every move noted, inside the transaction that made them. */
  write(db: Database): void {
    const counts = this.batchCounts()
    if (counts.length > 0) {
      const add = sql(db, BATCH_COUNT)
      for (const row of counts) add.run(...row)
    }
    const finishes = this.batchFinishes()
    if (finishes.length > 0) {
      const add = sql(db, BATCH_FINISHES)
      for (const row of finishes) add.run(...row)
    }
    const finished = this.finished()
    if (finished.length > 0) {
      const add = sql(db, JOBS_FINISHED)
      for (const row of finished) add.run(...row)
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
