/**
 * Desktop notifications for alerts, rate-limited so a flapping rule or an outage that
 * trips every rule at once does not bury the operator's desktop: at most one notification
 * per alert a minute and five a minute in all; the rest are gathered into one "N more
 * alerts changed". Pure (no electron, the clock injected) so the limits are tested;
 * src/main/shell/notifications.ts shows what this decides.
 */
import { notifies, type AlertTransition } from '../../shared/alerts'

export interface DesktopNote {
  title: string
  body: string
  /** The alert it is about; none for a summary of several. */
  alert?: string
}

/** The parts of a transition a notification needs. */
export type AlertChange = Pick<AlertTransition, 'name' | 'severity' | 'to' | 'from' | 'summary'>

export interface NoticeClock {
  now(): number
  setTimer(run: () => void, ms: number): unknown
  clearTimer(timer: unknown): void
}

export const systemClock: NoticeClock = {
  now: () => Date.now(),
  setTimer: (run, ms) => setTimeout(run, ms),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
}

export interface AlertNoticeLimits {
  /** Least time between two notifications about the same alert. Default 60 s. */
  perAlertMs?: number
  /** Most notifications in any `windowMs`. Default 5 in 60 s. */
  maxPerWindow?: number
  windowMs?: number
  /** How long held changes gather before their summary. Default 60 s. */
  gatherMs?: number
}

export function noteFor(change: AlertChange): DesktopNote {
  const verb = change.to === 'firing' ? 'firing' : 'resolved'
  return { title: `${change.name} ${verb} (${change.severity})`, body: change.summary, alert: change.name }
}

function summaryOf(held: readonly AlertChange[]): DesktopNote {
  // The latest change of each alert, in the order they came.
  const latest = new Map<string, AlertChange>()
  for (const change of held) {
    latest.delete(change.name)
    latest.set(change.name, change)
  }
  const listed = [...latest.values()].slice(0, 4).map((change) => `${change.name} ${change.to}`)
  const more = latest.size > listed.length ? `, and ${latest.size - listed.length} more` : ''
  return { title: `${held.length} more alert${held.length === 1 ? '' : 's'} changed`, body: `${listed.join(', ')}${more}. Open Alerts for the details.` }
}

export class AlertNotices {
  private readonly perAlertMs: number
  private readonly maxPerWindow: number
  private readonly windowMs: number
  private readonly gatherMs: number
  /** When each recent notification was shown, oldest first. */
  private shownAt: number[] = []
  private readonly lastByAlert = new Map<string, number>()
  private held: AlertChange[] = []
  private heldSince = 0
  private timer: unknown = null

  constructor(
    private readonly show: (note: DesktopNote) => void,
    limits: AlertNoticeLimits = {},
    private readonly clock: NoticeClock = systemClock,
  ) {
    this.perAlertMs = limits.perAlertMs ?? 60_000
    this.maxPerWindow = limits.maxPerWindow ?? 5
    this.windowMs = limits.windowMs ?? 60_000
    this.gatherMs = limits.gatherMs ?? 60_000
  }

  /** An alert changed state: notify now, hold it for a summary, or (pending) ignore it. */
  offer(change: AlertChange): void {
    // Only firing and its end: pending may never fire, and a pending spell that ends was never news.
    if (!notifies(change)) return
    const now = this.clock.now()
    if (this.held.length === 0 && this.mayShow(change.name, now)) {
      this.record(now, change.name)
      this.show(noteFor(change))
      return
    }
    if (this.held.length === 0) this.heldSince = now
    this.held.push(change)
    this.schedule(now)
  }

  /** Drops what is held and its timer (the app is quitting). */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer)
    this.timer = null
    this.held = []
  }

  private budgetLeft(now: number): boolean {
    this.shownAt = this.shownAt.filter((at) => now - at < this.windowMs)
    return this.shownAt.length < this.maxPerWindow
  }

  private mayShow(name: string, now: number): boolean {
    const last = this.lastByAlert.get(name)
    return (last === undefined || now - last >= this.perAlertMs) && this.budgetLeft(now)
  }

  private record(now: number, name?: string): void {
    this.shownAt.push(now)
    if (name !== undefined) this.lastByAlert.set(name, now)
  }

  private schedule(now: number): void {
    if (this.timer !== null) return
    this.budgetLeft(now)
    const slotFreeAt = this.shownAt.length < this.maxPerWindow ? now : this.shownAt[0]! + this.windowMs
    const at = Math.max(slotFreeAt, this.heldSince + this.gatherMs)
    this.timer = this.clock.setTimer(() => this.flush(), Math.max(0, at - now))
  }

  private flush(): void {
    this.timer = null
    const now = this.clock.now()
    if (this.held.length === 0) return
    if (!this.budgetLeft(now)) return this.schedule(now)
    const held = this.held
    this.held = []
    const only = held.length === 1 ? held[0]! : undefined
    if (only && this.mayShow(only.name, now)) {
      this.record(now, only.name)
      this.show(noteFor(only))
    } else {
      this.record(now)
      this.show(summaryOf(held))
    }
  }
}
