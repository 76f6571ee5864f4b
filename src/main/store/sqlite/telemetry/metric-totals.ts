/**
 * The store's own totals of what the rollups do not keep (migration 0021): jobs enqueued,
 * attempts by failure category, jobs enqueued from prompt files by format, each added
 * here inside the transaction that does the thing, whichever process runs it; and jobs
 * finished by outcome, added by the migration's trigger on every change of a job's state
 * (settle, cancel from any path, a stall past its limit, a job dead at claim). The
 * counters the exporter reads are the store's truth, not one engine's view. Writes here
 * are grouped: an enqueue of a hundred thousand jobs adds a row per provider and model.
 */
import type { Database } from 'better-sqlite3'
import { NO_CATEGORY } from '../../../../shared/metrics'
import { sql } from '../db/connection'
import { categoryLabel } from '../../../telemetry/metric-labels'

export type TotalMetric = 'jobs_enqueued' | 'jobs_finished' | 'attempts' | 'intake_jobs'

const ADD = `INSERT INTO metric_totals (metric, provider, model, detail, n) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = n + excluded.n`

/** Counts by key, added with one upsert a key. */
class Tally {
  // Nested by provider, model and detail: adding to a known key allocates nothing (a million-job load adds a million times).
  private readonly counts = new Map<string, Map<string, Map<string, number>>>()

  add(provider: string, model: string | null, detail: string, n = 1): void {
    let models = this.counts.get(provider)
    if (!models) this.counts.set(provider, (models = new Map()))
    let details = models.get(model ?? '')
    if (!details) models.set(model ?? '', (details = new Map()))
    details.set(detail, (details.get(detail) ?? 0) + n)
  }

  write(db: Database, metric: TotalMetric): void {
    if (this.counts.size === 0) return
    const add = sql(db, ADD)
    for (const [provider, models] of this.counts)
      for (const [model, details] of models) for (const [detail, n] of details) if (n > 0) add.run(metric, provider, model, detail, n)
  }
}

/** An enqueue's added jobs (those whose idempotency key was new) and the prompt files they came from; call inside its transaction. */
export function countEnqueued(
  db: Database,
  added: readonly { provider: string; model: string | null }[],
  sources: readonly { format: string; jobs: number }[] | undefined,
): void {
  const jobs = new Tally()
  for (const job of added) jobs.add(job.provider, job.model, '')
  jobs.write(db, 'jobs_enqueued')
  const files = new Tally()
  for (const file of sources ?? []) files.add('', null, file.format.replace(/^\./, '').toLowerCase(), file.jobs)
  files.write(db, 'intake_jobs')
}

/** Attempts settled (or found stalled), by provider, model and failure category; called by recordUsage inside the settle. */
export function countAttempts(
  db: Database,
  attempts: readonly { provider: string; model: string | null; outcome: string; category?: string | undefined }[],
): void {
  const tally = new Tally()
  for (const attempt of attempts)
    tally.add(attempt.provider, attempt.model, attempt.outcome === 'completed' ? NO_CATEGORY : categoryLabel(attempt.category ?? 'UNKNOWN'))
  tally.write(db, 'attempts')
}
