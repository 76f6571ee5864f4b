/**
 * Engine events for every face (IPC, SSE), coalesced so that 20,000 jobs a second do not
 * become 20,000 messages a second: job changes go out every `changesMs` (latest state per
 * job, at most `maxChanges`, else `truncated` and clients refetch), counts at most every
 * `countsMs` when something may have moved them, progress every `progressMs`.
 */
import type { EngineEvent, EngineEvents, JobChange } from '../shared/contract'

export interface EventHubOptions {
  changesMs: number
  countsMs: number
  progressMs: number
  maxChanges: number
}

export const DEFAULT_EVENT_TIMING: EventHubOptions = { changesMs: 100, countsMs: 250, progressMs: 250, maxChanges: 500 }

type Progress = EngineEvents['progress']['updates'][number]

/** How long a progress id stays in EventHub.toldAt without a step. */
const FORGOTTEN_AFTER_MS = 60_000

export class EventHub {
  private readonly listeners = new Set<(event: EngineEvent) => void>()
  private changes = new Map<number, JobChange>()
  private truncated = false
  private progress = new Map<number, Progress>()
  private countsDirty = false
  /** When each drop's load (by intake id) or file's check (by check id) was last told: their events are spaced by `progressMs`. */
  private readonly toldAt = new Map<string, number>()
  private readonly timers: NodeJS.Timeout[]

  constructor(
    private readonly readCounts: () => Promise<EngineEvents['counts']>,
    private readonly options: EventHubOptions = DEFAULT_EVENT_TIMING,
  ) {
    const every = (ms: number, flush: () => void) => {
      const timer = setInterval(flush, ms)
      timer.unref()
      return timer
    }
    this.timers = [
      every(options.changesMs, () => this.flushChanges()),
      every(options.countsMs, () => void this.flushCounts()),
      every(options.progressMs, () => this.flushProgress()),
    ]
  }

  subscribe(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  jobsChanged(changes: JobChange[]): void {
    if (this.listeners.size === 0) return
    for (const change of changes) {
      this.changes.delete(change.id)
      this.changes.set(change.id, change)
      this.progress.delete(change.id)
    }
    if (this.changes.size > this.options.maxChanges) {
      this.truncated = true
      this.changes.clear()
    }
    this.countsDirty = true
  }

  countsMayChange(): void {
    this.countsDirty = true
  }

  progressed(update: Progress): void {
    if (this.listeners.size > 0) this.progress.set(update.id, update)
  }

  /** Notices are rare and for people: they go out at once. */
  notice(notice: Omit<EngineEvents['notice'], 'at'>): void {
    this.emit({ type: 'notice', data: { ...notice, at: Date.now() } })
  }

  /**
   * A big drop's load: the first slice and the last go out at once (the bar appears, and
   * reaches its end), the ones between at most every `progressMs`.
   */
  intakeLoad(progress: EngineEvents['intakeLoad']): void {
    if (this.listeners.size === 0) return
    if (!this.throttled(progress.intakeId, progress.loaded >= progress.total)) this.emit({ type: 'intakeLoad', data: progress })
  }

  /** A big dropped file's check: as a load's, the first step and the last at once, the ones between at most every `progressMs`. */
  intakeCheck(progress: EngineEvents['intakeCheck']): void {
    if (this.listeners.size === 0) return
    if (!this.throttled(progress.checkId, progress.line >= progress.lines)) this.emit({ type: 'intakeCheck', data: progress })
  }

  /** Whether a step of `id`'s progress waits for a later one: the first and the last (`done`) never do. */
  private throttled(id: string, done: boolean): boolean {
    const now = performance.now()
    const last = this.toldAt.get(id)
    // A check or load that ended without its last step (a failed load) is forgotten once it has been quiet a minute.
    if (last === undefined) for (const [other, at] of this.toldAt) if (now - at > FORGOTTEN_AFTER_MS) this.toldAt.delete(other)
    if (!done && last !== undefined && now - last < this.options.progressMs) return true
    if (done) this.toldAt.delete(id)
    else this.toldAt.set(id, now)
    return false
  }

  /** An alert's transition: rare, and the tray and the alert list want it now. */
  alert(transition: EngineEvents['alert']): void {
    this.emit({ type: 'alert', data: transition })
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event)
  }

  private flushChanges(): void {
    if (this.changes.size === 0 && !this.truncated) return
    const data = { changes: [...this.changes.values()], truncated: this.truncated }
    this.changes = new Map()
    this.truncated = false
    this.emit({ type: 'jobs', data })
  }

  private async flushCounts(): Promise<void> {
    if (!this.countsDirty || this.listeners.size === 0) return
    this.countsDirty = false
    this.emit({ type: 'counts', data: await this.readCounts() })
  }

  private flushProgress(): void {
    if (this.progress.size === 0) return
    const updates = [...this.progress.values()]
    this.progress = new Map()
    this.emit({ type: 'progress', data: { updates } })
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer)
    this.listeners.clear()
  }
}
