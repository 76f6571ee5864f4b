/**
 * The store's own totals of what the rollups do not keep (migration 0021): jobs enqueued,
 * attempts by failure category, jobs enqueued from prompt files by format, each added
 * here inside the transaction that does the thing, whichever process runs it; and jobs
 * finished by outcome, added by the migration's trigger on every change of a job's state
 * (settle, cancel from any path, a stall past its limit, a job dead at claim). The
 * counters the exporter reads are the store's truth, not one engine's view. Writes here
 * are grouped (tally.ts): an enqueue of a hundred thousand jobs adds a row per provider and model.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'
import { attemptsTally, filesTally, type Tally, type TotalMetric } from './tally'

export type { TotalMetric } from './tally'

const ADD = `INSERT INTO metric_totals (metric, provider, model, detail, n) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + excluded.n`

function write(db: Database, metric: TotalMetric, tally: Tally): void {
  const rows = tally.rows()
  if (rows.length === 0) return
  const add = sql(db, ADD)
  for (const row of rows) add.run(metric, ...row)
}

/** An enqueue's added jobs (those whose idempotency key was new), by provider and model, and the prompt files they came from; call inside its transaction. */
export function countEnqueued(db: Database, added: Tally, sources: readonly { format: string; jobs: number }[] | undefined): void {
  write(db, 'jobs_enqueued', added)
  write(db, 'intake_jobs', filesTally(sources))
}

/** Attempts settled (or found stalled), by provider, model and failure category; called by recordUsage inside the settle. */
export function countAttempts(
  db: Database,
  attempts: readonly { provider: string; model: string | null; outcome: string; category?: string | undefined }[],
): void {
  write(db, 'attempts', attemptsTally(attempts))
}
