/**
 * The breakers' changes as every engine on one store shares them: each change this engine
 * makes is recorded, and an operator's command (`genops breakers reset|open`, written by
 * another process) is applied here from the record. Another engine's opening opens the
 * same breaker here until the time it named, so the CLI's `run` beside `serve` does not
 * keep sending to a provider the other found down; each then probes for itself. A breaker
 * the operator held open stays held across a restart until they reset it, and one that was
 * open when the engine stopped stays open until its wait is over.
 */
import type { BreakerBoard, BreakerChange } from '../resilience/breakers'
import type { SchedulerHooks } from './scheduler-hooks'
import { OPERATOR } from '../store/sqlite/queue/resilience'
import type { QueueStore } from './store'

export class BreakerLog {
  /** The newest command applied here: the record is read from after it. */
  private lastCommandId = 0

  constructor(
    private readonly store: QueueStore,
    /** This engine's lease owner: its own changes are recorded under it. */
    private readonly owner: string,
    private readonly hooks: Pick<SchedulerHooks, 'onError' | 'onNotice' | 'onBreakerChange'>,
  ) {}

  /** At start: commands written before now are history, and holds of the operator's are restored. */
  async restore(breakers: BreakerBoard): Promise<void> {
    this.lastCommandId = await this.store.lastBreakerEventId()
    const now = Date.now()
    for (const [name, [newest]] of await this.store.breakerHistory(1)) {
      if (newest?.to === 'isolated') breakers.isolate(name, 'logged-command')
      else if (newest?.to === 'open' && (newest.openUntil ?? 0) > now) breakers.openedElsewhere(name, newest.openUntil!, newest.reason)
    }
  }

  /** Operators' breaker commands and other engines' openings, written by other processes since the last look. */
  async applyCommands(breakers: BreakerBoard): Promise<void> {
    for (const event of await this.store.breakerEventsAfter(this.lastCommandId)) {
      this.lastCommandId = event.id
      if (event.owner === OPERATOR) {
        if (event.to === 'isolated') breakers.isolate(event.breaker, 'logged-command')
        else if (event.to === 'closed') breakers.reset(event.breaker, event.reason ?? undefined, 'logged-command')
      } else if (event.owner !== this.owner && event.to === 'open' && (event.openUntil ?? 0) > Date.now()) {
        breakers.openedElsewhere(event.breaker, event.openUntil!, event.reason)
      }
    }
  }

  /** A breaker of this engine changed: recorded (unless the record itself said so), heard, and told. */
  changed({ origin, ...change }: BreakerChange): void {
    // An operator's change is recorded as a command, so the other engines on this file apply it too.
    if (origin !== 'logged-command') {
      const owner = origin === 'operator' ? OPERATOR : this.owner
      // This engine reads its own command back on the next poll: applying it again changes nothing.
      Promise.resolve()
        .then(() => this.store.recordBreakerEvent({ ...change, owner }))
        .catch((error: unknown) => this.hooks.onError(error, `recording breaker ${change.breaker} going ${change.to}`))
    }
    this.hooks.onBreakerChange?.({ origin, ...change })
    if (change.to === 'open' && change.from === 'closed')
      this.hooks.onNotice({ level: 'warning', message: `breaker ${change.breaker} opened: ${change.reason ?? ''}; its jobs are held` })
    if (change.to === 'closed') this.hooks.onNotice({ level: 'info', message: `breaker ${change.breaker} closed${change.reason ? ` (${change.reason})` : ''}` })
  }
}
