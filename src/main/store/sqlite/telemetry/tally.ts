/**
 * The store's totals (metric_totals, migration 0021) as a call adds them: counts by
 * provider, model and detail, grouped so that each key takes one upsert, whichever store
 * writes them (telemetry/metric-totals.ts for SQLite, store/postgres/rollups.ts). No SQL here.
 */
import { NO_CATEGORY } from '../../../../shared/metrics'
import { categoryLabel } from '../../../telemetry/metric-labels'

export type TotalMetric = 'jobs_enqueued' | 'jobs_finished' | 'attempts' | 'intake_jobs'

/** Counts by key, added with one upsert a key. */
export class Tally {
  // Nested by provider, model and detail: adding to a known key allocates nothing (a million-job load adds a million times).
  private readonly counts = new Map<string, Map<string, Map<string, number>>>()

  add(provider: string, model: string | null, detail: string, n = 1): void {
    let models = this.counts.get(provider)
    if (!models) this.counts.set(provider, (models = new Map()))
    let details = models.get(model ?? '')
    if (!details) models.set(model ?? '', (details = new Map()))
    details.set(detail, (details.get(detail) ?? 0) + n)
  }

  /** [provider, model ('' for none), detail, n] for every key counted above zero. */
  rows(): [provider: string, model: string, detail: string, n: number][] {
    const rows: [string, string, string, number][] = []
    for (const [provider, models] of this.counts)
      for (const [model, details] of models) for (const [detail, n] of details) if (n > 0) rows.push([provider, model, detail, n])
    return rows
  }
}

/** An enqueue's added jobs by provider and model (jobs_enqueued). */
export function addedTally(added: readonly { provider: string; model: string | null }[]): Tally {
  const jobs = new Tally()
  for (const job of added) jobs.add(job.provider, job.model, '')
  return jobs
}

/** An enqueue's prompt files' jobs by format (intake_jobs). */
export function filesTally(sources: readonly { format: string; jobs: number }[] | undefined): Tally {
  const files = new Tally()
  for (const file of sources ?? []) files.add('', null, file.format.replace(/^\./, '').toLowerCase(), file.jobs)
  return files
}

/** Attempts by provider, model and failure category (what genops_attempts_total reads). */
export function attemptsTally(attempts: readonly { provider: string; model: string | null; outcome: string; category?: string | undefined }[]): Tally {
  const tally = new Tally()
  for (const attempt of attempts)
    tally.add(attempt.provider, attempt.model, attempt.outcome === 'completed' ? NO_CATEGORY : categoryLabel(attempt.category ?? 'UNKNOWN'))
  return tally
}
