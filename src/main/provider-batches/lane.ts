/**
 * The batch lane's loop in the engine: a gather every `gatherMs`, a look for due polls
 * every `tickMs`, one step at a time (a gather never races a poll of this engine). At
 * start it polls at once, so batches in flight before a restart are picked up; at close it
 * lets go of its batches' leases, so the next engine on the store takes them at once.
 */
import type { LaneParts } from './parts'
import { gather, recordSent, type GatherCursor } from './gather'
import { poll } from './poll'

export class BatchLane {
  private timers: NodeJS.Timeout[] = []
  private step: Promise<unknown> = Promise.resolve()
  private closed = false
  /** Steps waiting to run, by what they do: a timer firing while its step still waits adds nothing. */
  private readonly waiting = new Map<string, Promise<void>>()
  private readonly gathered: GatherCursor = { after: null }

  constructor(private readonly parts: LaneParts) {}

  start(): void {
    const every = (ms: number, task: () => Promise<unknown>, during: string) => {
      const run = () => this.enqueue(task, during)
      const timer = setInterval(run, ms)
      timer.unref()
      this.timers.push(timer)
      run()
    }
    every(this.parts.config.tickMs, () => poll(this.parts, Date.now()), 'polling provider batches')
    every(this.parts.config.gatherMs, () => gather(this.parts, Date.now(), this.gathered), 'gathering the batch lane')
  }

  /** Gathers now (after the step under way): `genops enqueue --lane batch` and tests need not wait for the timer. */
  gatherNow(): Promise<void> {
    return this.enqueue(() => gather(this.parts, Date.now(), this.gathered), 'gathering the batch lane')
  }

  /** Polls what is due now (after the step under way). */
  pollNow(): Promise<void> {
    return this.enqueue(() => poll(this.parts, Date.now()), 'polling provider batches')
  }

  private enqueue(task: () => Promise<unknown>, during: string): Promise<void> {
    const queued = this.waiting.get(during)
    if (queued) return queued
    const next = this.step.then(async () => {
      this.waiting.delete(during)
      if (this.closed) return
      try {
        await task()
      } catch (error) {
        this.parts.hooks.onError(error, during)
      }
    })
    this.waiting.set(during, next)
    this.step = next
    return next
  }

  async close(): Promise<void> {
    this.closed = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    await this.step
    try {
      // An upload the provider accepted is recorded before the leases go: another engine would take it for never sent.
      await recordSent(this.parts)
      await this.parts.store.releaseLeases(this.parts.owner)
    } catch (error) {
      this.parts.hooks.onError(error, 'letting go of provider batches at close')
    }
  }
}
