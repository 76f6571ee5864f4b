/**
 * A full disk is a state of the engine, not a crash. Every write failure the engine hears
 * of (a settle, a claim, spans, rollups, the log, an attempt's artifact) passes through
 * `noteFailure`; one that says the disk refused it (shared/disk-full) puts the engine in
 * this state: the scheduler claims and commits nothing (what finished stays in memory), the
 * `storage` health check fails with the reason and the free space, and the operator is told
 * once. Every `retryMs` the free space is measured; once there is room a write is retried
 * (a probe, then the results that waited), and when it goes through the engine resumes by
 * itself and says so.
 */
import { diskFullCode } from '../../shared/disk-full'
import { formatBytes, freeDiskBytes } from './checks'
import type { HealthCheck } from './registry'

/** How often a full disk is looked at again. */
export const DISK_FULL_RETRY_MS = 1_000
/** Free space below which the disk counts as full: no write is retried (and no engine starts work) with less. */
export const RESUME_FREE_BYTES = 1024 * 1024

export interface DiskFullOptions {
  /** The data directory: whose free space is shown and waited for. */
  dataDir: string
  /** How often, while full, free space is measured and a write retried. Default 1 s. */
  retryMs?: number
  /** Free space needed before a write is retried. Default 1 MiB. */
  resumeFreeBytes?: number
}

/** What the state acts on, once the engine around it exists. */
export interface DiskFullParts {
  /** The writes that must go through before work resumes (the waiting results); throws while the disk refuses them. */
  retry(): Promise<void>
  /** One line for the operator, on entering and leaving the state. */
  notice(notice: { level: 'info' | 'critical'; message: string }): void
  /** Writes go through again: dispatch may resume. */
  resumed(): void
  /** Log lines dropped because the log file could not be written. */
  droppedLogLines(): number
}

interface Refusal {
  since: number
  during: string
  /** The code the write failed with; null when the engine started with no room and found it so itself. */
  code: string | null
}

export class DiskFull {
  private refusal: Refusal | null = null
  private parts: DiskFullParts | null = null
  private timer: NodeJS.Timeout | null = null
  private retrying = false
  private readonly retryMs: number
  private readonly resumeFreeBytes: number

  constructor(private readonly options: DiskFullOptions) {
    this.retryMs = options.retryMs ?? DISK_FULL_RETRY_MS
    this.resumeFreeBytes = options.resumeFreeBytes ?? RESUME_FREE_BYTES
  }

  /** True while the disk refuses writes: read by the scheduler on every turn, so it is a field, not a measurement. */
  get full(): boolean {
    return this.refusal !== null
  }

  /**
   * A write failed: true when the failure says the disk is full (the state is entered, or
   * was already, and the operator is told once); false for any other failure, which the
   * caller reports as it would have.
   */
  noteFailure(error: unknown, during: string): boolean {
    const code = diskFullCode(error)
    if (code === null) return false
    this.enter(during, code)
    return true
  }

  /** A write the disk refused, known by its code already (an attempt's artifact, reported by its worker). */
  noteRefusal(code: string, during: string): void {
    this.enter(during, code)
  }

  /**
   * The engine is about to start work: once it can act, and at once if the disk has no room
   * left (nothing has failed yet, but the first write would).
   */
  attach(parts: DiskFullParts): void {
    this.parts = parts
    if (this.refusal) this.announce()
    else if (this.freeBytes() < this.resumeFreeBytes) this.enter('starting', null)
  }

  /** Why writes fail now; null while they go through. */
  refusedBecause(): string | null {
    return this.refusal ? this.reason() : null
  }

  private enter(during: string, code: string | null): void {
    if (this.refusal) return
    this.refusal = { since: Date.now(), during, code }
    if (this.parts) this.announce()
  }

  private announce(): void {
    this.parts?.notice({ level: 'critical', message: `${this.reason()}; no job starts until space returns (checked every ${this.retryMs / 1000} s)` })
    this.timer ??= setInterval(() => void this.tryResume(), this.retryMs)
    this.timer.unref()
  }

  private async tryResume(): Promise<void> {
    const parts = this.parts
    if (!this.refusal || !parts || this.retrying) return
    const free = this.freeBytes()
    if (free < this.resumeFreeBytes) return
    this.retrying = true
    try {
      await parts.retry()
    } catch (error) {
      // Still refused: the next round tries again. Anything else (another process holding the write lock, say) is
      // the scheduler's ordinary business once it runs again, reported there as usual.
      if (diskFullCode(error) !== null) return
    } finally {
      this.retrying = false
    }
    // Closed meanwhile: the engine is going away, and says so itself.
    if (this.parts !== parts) return
    this.refusal = null
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    parts.notice({ level: 'info', message: `the disk has room again (${formatBytes(free)} free for ${this.options.dataDir}): jobs start again` })
    parts.resumed()
  }

  private reason(): string {
    const refusal = this.refusal
    if (!refusal) return ''
    const free = `${formatBytes(this.freeBytes())} free for ${this.options.dataDir}`
    if (refusal.code === null) return `the disk is full: ${free} at start`
    return `the disk is full: ${refusal.during} failed (${refusal.code}); ${free}`
  }

  private freeBytes(): number {
    try {
      return freeDiskBytes(this.options.dataDir)
    } catch {
      // A directory that cannot be measured counts as one with no room: the write retry decides.
      return 0
    }
  }

  /** The `storage` check: critical, failing while the disk refuses writes. */
  check(timeoutMs = 2_000): HealthCheck {
    return {
      name: 'storage',
      critical: true,
      timeoutMs,
      check: () => {
        const dropped = this.parts?.droppedLogLines() ?? 0
        const droppedNote = dropped > 0 ? `; ${dropped} log line${dropped === 1 ? '' : 's'} dropped` : ''
        if (!this.refusal) return { status: 'pass', detail: `writes go through; ${formatBytes(this.freeBytes())} free${droppedNote}` }
        const since = new Date(this.refusal.since).toISOString()
        return {
          status: 'fail',
          detail: `${this.reason()}; no job has started since ${since}: work resumes by itself once ${formatBytes(this.resumeFreeBytes)} is free and a write goes through${droppedNote}`,
        }
      },
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.parts = null
  }
}
