/**
 * The breakers' changes as every engine on one store shares them: each change this engine
 * makes is recorded, and an operator's command (`genops breakers reset|open`, written by
 * another process) is applied here from the record. A breaker the operator held open stays
 * held across a restart (its newest transition says so) until they reset it; one the
 * breaker itself opened starts closed and re-learns.
 */
import type { BreakerBoard, BreakerChange } from '../resilience/breakers'
import type { SchedulerHooks } from './scheduler-hooks'
import { OPERATOR } from './sqlite/resilience'
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
    for (const [name, [newest]] of await this.store.breakerHistory(1)) {
      if (newest?.to === 'isolated') breakers.isolate(name, 'logged-command')
    }
  }

  /** Operators' breaker commands written by another process since the last look. */
  async applyCommands(breakers: BreakerBoard): Promise<void> {
    for (const command of await this.store.operatorCommands(this.lastCommandId)) {
      this.lastCommandId = command.id
      if (command.to === 'isolated') breakers.isolate(command.breaker, 'logged-command')
      else if (command.to === 'closed') breakers.reset(command.breaker, command.reason ?? undefined, 'logged-command')
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
