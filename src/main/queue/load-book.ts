/**
 * What an enqueue has written so far, whichever store writes it: an id for every job given
 * (the job's own, or the older job's when its idempotency key is known), the ids of the jobs it
 * added, and those jobs by provider and model for the metrics' totals. A load in several files
 * keeps each file once it is good and drops one that is refused (JobLoad keep, drop): the book
 * remembers where the last keep left it. No SQL here.
 */
import { Tally } from '../store/sqlite/telemetry/tally'

export class LoadBook {
  readonly jobIds: number[] = []
  readonly addedIds: number[] = []
  duplicates = 0
  /** The jobs added and kept, by provider and model (jobs_enqueued). */
  readonly added = new Tally()
  /** The same since the last keep(): what drop() forgets. */
  private unkept = new Tally()
  private kept = { jobs: 0, added: 0, duplicates: 0 }

  /** Takes in one committed write: an id for each job given, the ids and jobs it added, how many keys were known. */
  written(jobIds: readonly number[], addedIds: readonly number[], addedJobs: readonly { provider: string; model: string | null }[], duplicates: number): void {
    for (const id of jobIds) this.jobIds.push(id)
    for (const id of addedIds) this.addedIds.push(id)
    for (const job of addedJobs) this.unkept.add(job.provider, job.model, '')
    this.duplicates += duplicates
  }

  keep(): void {
    for (const [provider, model, detail, n] of this.unkept.rows()) this.added.add(provider, model, detail, n)
    this.unkept = new Tally()
    this.kept = { jobs: this.jobIds.length, added: this.addedIds.length, duplicates: this.duplicates }
  }

  /** Forgets what was written since the last keep(); answers the ids of the jobs it added, for the store to remove. */
  drop(): number[] {
    this.jobIds.length = this.kept.jobs
    this.duplicates = this.kept.duplicates
    this.unkept = new Tally()
    return this.addedIds.splice(this.kept.added)
  }
}
