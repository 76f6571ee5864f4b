/**
 * The exporter lease: of the engines sharing a store, the one holding it exports the
 * store-wide series (jobs, queue, costs), the others only their own process's, so a sum()
 * over every engine's scrape counts each job once. The engine whose exporter listens takes
 * it and renews it every `renewMs`, well inside `ttlMs`; a standby engine tries again at
 * each of its scrapes and on the same timer, so it takes over at once when the holder
 * closes (the lease is given up) and within `ttlMs` when the holder dies.
 */
import type { MetricStore } from './metric-store'

export interface ExporterLeaseOptions {
  /** How often the lease is renewed or, by a standby engine, tried. */
  renewMs: number
  /** How long a lease lasts unrenewed: how long a dead holder keeps the store-wide series from Prometheus. */
  ttlMs: number
}

export const DEFAULT_EXPORTER_LEASE: ExporterLeaseOptions = { renewMs: 10_000, ttlMs: 30_000 }

export class ExporterLease {
  private heldUntil = 0
  private readonly timer: NodeJS.Timeout
  private stopped = false

  constructor(
    private readonly store: MetricStore,
    readonly owner: string,
    private readonly options: ExporterLeaseOptions,
    private readonly onError: (error: unknown, during: string) => void,
  ) {
    this.timer = setInterval(() => void this.renew().catch((error: unknown) => onError(error, 'renewing the exporter lease')), options.renewMs)
    this.timer.unref()
  }

  /**
   * Whether this engine exports the store-wide series now: its lease still runs, or it
   * could take it. A lease that cannot be read (the database busy past its timeout) is
   * not held: the scrape still answers with this process's series.
   */
  async holds(now = Date.now()): Promise<boolean> {
    if (this.heldUntil > now) return true
    try {
      return await this.renew(now)
    } catch (error) {
      this.onError(error, 'taking the exporter lease')
      return false
    }
  }

  async renew(now = Date.now()): Promise<boolean> {
    if (this.stopped) return false
    const until = now + this.options.ttlMs
    const held = await this.store.takeExporterLease(this.owner, now, until)
    this.heldUntil = held ? until : 0
    return held
  }

  /** Stops renewing and gives the lease up, so another engine's next scrape takes it. */
  async release(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    this.heldUntil = 0
    try {
      await this.store.releaseExporterLease(this.owner)
    } catch (error) {
      this.onError(error, 'giving up the exporter lease')
    }
  }
}
