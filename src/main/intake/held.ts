/**
 * Drops the window has previewed and not yet enqueued or cancelled: their parsed files,
 * kept in memory by intake id. Few, and not for long: the oldest go when too many jobs are
 * held, and each is forgotten INTAKE_TTL_MS after it was last touched. Expiry is checked
 * on every access, so nothing runs on a timer.
 */
import { randomUUID } from 'node:crypto'
import { INTAKE_TTL_MS, MAX_JOBS_PER_DROP } from '../../shared/intake'
import type { ParsedFile } from './problems'

export interface HeldIntake {
  readonly id: string
  /** In the order received. */
  readonly files: ParsedFile[]
  touchedAt: number
}

export interface HeldIntakesOptions {
  /** Most drops held at once: 8. */
  maxIntakes?: number
  /** Most jobs held across drops: one full drop (MAX_JOBS_PER_DROP). Past it the least recently touched drops go. */
  maxJobs?: number
  ttlMs?: number
  now?: () => number
}

export const jobsIn = (files: readonly ParsedFile[]): number => files.reduce((sum, file) => sum + (file.ok ? file.jobs.length : 0), 0)

export class HeldIntakes {
  /** Map order is recency: the least recently touched first. */
  private readonly held = new Map<string, HeldIntake>()
  private readonly maxIntakes: number
  private readonly maxJobs: number
  private readonly ttlMs: number
  private readonly now: () => number

  constructor({ maxIntakes = 8, maxJobs = MAX_JOBS_PER_DROP, ttlMs = INTAKE_TTL_MS, now = Date.now }: HeldIntakesOptions = {}) {
    this.maxIntakes = maxIntakes
    this.maxJobs = maxJobs
    this.ttlMs = ttlMs
    this.now = now
  }

  /** A new, empty drop; not held until files are added to it. */
  create(): HeldIntake {
    return { id: randomUUID(), files: [], touchedAt: this.now() }
  }

  /** The drop, if it is still held; touching it keeps it longer. */
  get(id: string): HeldIntake | undefined {
    this.sweep()
    const intake = this.held.get(id)
    if (intake) this.touch(intake)
    return intake
  }

  /** Holds (again) a drop with files added, making room by letting the least recently touched others go. */
  hold(intake: HeldIntake): void {
    this.sweep()
    this.touch(intake)
    let jobs = [...this.held.values()].reduce((sum, other) => sum + jobsIn(other.files), 0)
    for (const [id, other] of this.held) {
      if (this.held.size <= this.maxIntakes && jobs <= this.maxJobs) break
      if (id === intake.id) continue
      this.held.delete(id)
      jobs -= jobsIn(other.files)
    }
  }

  /** Takes a drop out (to enqueue it); `hold` puts it back if that fails. */
  take(id: string): HeldIntake | undefined {
    this.sweep()
    const intake = this.held.get(id)
    this.held.delete(id)
    return intake
  }

  forget(id: string): boolean {
    this.sweep()
    return this.held.delete(id)
  }

  expiresAt(intake: HeldIntake): number {
    return intake.touchedAt + this.ttlMs
  }

  get size(): number {
    this.sweep()
    return this.held.size
  }

  private touch(intake: HeldIntake): void {
    intake.touchedAt = this.now()
    this.held.delete(intake.id)
    this.held.set(intake.id, intake)
  }

  private sweep(): void {
    const now = this.now()
    for (const [id, intake] of this.held) {
      // Oldest first: the first one still fresh means the rest are too.
      if (intake.touchedAt + this.ttlMs > now) break
      this.held.delete(id)
    }
  }
}
