/**
 * Stopping attempts that must end: one the operator cancelled (here or from another
 * process), and one still running past its time limit. A stop is asked first, over the
 * pool's channel, and repeated, since the first may reach the thread before the task does;
 * past the grace period the attempt's thread is terminated (piscina fails its task and
 * starts a new thread). A thread says which it is with its first progress, so one still
 * starting is terminated once it has said so.
 *
 * The time limit is the worker's to enforce: its own timer ends an attempt at its limit.
 * One still running here past the limit and the grace has a thread that no timer on it can
 * reach (a native call that hangs, a regular expression that never ends).
 */
import { DEFAULT_TIMEOUT_MS } from '../../workers/limits'

/** A cancel is repeated this often: the first may reach the thread before the task does. */
const CANCEL_RESEND_MS = 100

/** What stopping needs of the pool (queue/pool's AttemptPool). */
export interface StoppablePool {
  cancel(id: number): void
  terminateThread(threadId: number): boolean
}

interface Running {
  /** Known once the worker reports progress. */
  threadId: number | null
  /** Set while a stop is being delivered. */
  timer: NodeJS.Timeout | null
  /** When the attempt must be over: its time limit and the grace after it. */
  deadline: number
  /** Stopped for running past its deadline: its end is a TIMEOUT, whatever the dying thread said. */
  overdue: boolean
}

/** An attempt's time limit, as the worker arms it (workers/limits). */
export const timeLimitOf = (config: Record<string, unknown>): number => (typeof config.timeoutMs === 'number' ? config.timeoutMs : DEFAULT_TIMEOUT_MS)

export class AttemptStops {
  private readonly running = new Map<number, Running>()

  constructor(
    private readonly pool: StoppablePool,
    private readonly graceMs: number,
  ) {}

  /** An attempt dispatched at `startedAt` with this config. */
  started(id: number, startedAt: number, config: Record<string, unknown>): void {
    this.running.set(id, { threadId: null, timer: null, deadline: startedAt + timeLimitOf(config) + this.graceMs, overdue: false })
  }

  /** Which thread runs the job: a stop that is ignored stops that thread. */
  ranOn(id: number, threadId: number): void {
    const attempt = this.running.get(id)
    if (attempt) attempt.threadId = threadId
  }

  /** The attempt ended, however: nothing more to stop. */
  ended(id: number): void {
    const attempt = this.running.get(id)
    if (attempt?.timer) clearInterval(attempt.timer)
    this.running.delete(id)
  }

  /** True when it was stopped for running past its time limit. */
  wasOverdue(id: number): boolean {
    return this.running.get(id)?.overdue ?? false
  }

  /** Asks the attempt to stop, then terminates its thread past the grace period. */
  stop(id: number): void {
    const attempt = this.running.get(id)
    if (!attempt || attempt.timer) return
    const giveUpAt = Date.now() + this.graceMs
    this.pool.cancel(id)
    attempt.timer = setInterval(() => {
      if (Date.now() < giveUpAt) return this.pool.cancel(id)
      if (!this.running.has(id)) return clearInterval(attempt.timer!)
      if (attempt.threadId === null) return
      clearInterval(attempt.timer!)
      this.pool.terminateThread(attempt.threadId)
    }, CANCEL_RESEND_MS)
    attempt.timer.unref()
  }

  /** Stops every attempt past its deadline; `onOverdue` hears of each once. */
  stopOverdue(now: number, onOverdue: (id: number) => void): void {
    for (const [id, attempt] of this.running) {
      if (attempt.overdue || now < attempt.deadline) continue
      attempt.overdue = true
      onOverdue(id)
      this.stop(id)
    }
  }

  /** At close: no stop goes on being delivered. */
  close(): void {
    for (const attempt of this.running.values()) if (attempt.timer) clearInterval(attempt.timer)
  }
}
