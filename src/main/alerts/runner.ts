/**
 * Alerts in a running engine: every `intervalMs` the rules in force are read (another
 * process may have changed them), their signals measured, and the transitions recorded
 * and handed to the notifiers. Evaluations never overlap; a rule change evaluates at once.
 */
import { notifies, type AlertEvent, type AlertRule } from '../../shared/alerts'
import { rulesInForce } from './rules'
import { readSignals, type SignalSources } from './signals'
import { evaluateRules } from './evaluate'
import type { AlertStore, StoredAlertState } from './store'

/** What the contract's alert operations tell a running engine. */
export interface AlertsRuntime {
  /** A rule was saved or removed: evaluate now, so the screen shows where it stands. */
  rulesChanged(): Promise<void>
}

export interface AlertsHooks {
  /** Every transition, in order: the event feed, the log, the webhook (a pending spell's has no history id). */
  onTransition(transition: AlertEvent, rule: AlertRule): void
  /** The alerts firing after an evaluation: the genops_alerts_firing gauge. */
  onFiring(firing: readonly { alertname: string; severity: string }[]): void
  warn(message: string): void
  onError(error: unknown, during: string): void
}

export interface AlertsRunnerOptions {
  intervalMs: number
  /** How long transitions are kept. */
  historyKeptMs: number
}

const HOUR = 3_600_000

export class AlertsRunner implements AlertsRuntime {
  private timer: NodeJS.Timeout | undefined
  private first: NodeJS.Timeout | undefined
  private running: Promise<void> = Promise.resolve()
  private previous = new Map<string, StoredAlertState>()
  private unreadable = new Set<string>()
  private prunedAt = 0

  constructor(
    private readonly store: AlertStore,
    private readonly defaults: readonly AlertRule[],
    private readonly sources: SignalSources,
    private readonly hooks: AlertsHooks,
    private readonly options: AlertsRunnerOptions,
  ) {}

  /**
   * Carries on from the states a previous run left (a firing alert is not announced twice),
   * then evaluates on the interval. The first evaluation waits a turn of the event loop:
   * the face that started the engine (the tray, the notifications) subscribes to its
   * events first, since a rule that holds at start is news too.
   */
  async start(): Promise<void> {
    this.previous = new Map((await this.store.states()).map((state) => [state.name, state]))
    this.timer = setInterval(() => void this.evaluateNow(), this.options.intervalMs)
    this.timer.unref()
    this.first = setTimeout(() => void this.evaluateNow(), 0)
    this.first.unref()
  }

  rulesChanged(): Promise<void> {
    return this.evaluateNow()
  }

  /** One evaluation after any under way; never rejects (a failed evaluation is reported and the next one tries again). */
  evaluateNow(now?: number): Promise<void> {
    this.running = this.running.then(() => this.evaluate(now ?? Date.now())).catch((error: unknown) => this.hooks.onError(error, 'evaluating alert rules'))
    return this.running
  }

  /** Stops evaluating; resolves when the evaluation under way is done. */
  stop(): Promise<void> {
    clearTimeout(this.first)
    clearInterval(this.timer)
    return this.running
  }

  private async evaluate(now: number): Promise<void> {
    const { rules, unreadable } = rulesInForce(this.defaults, await this.store.operatorRules())
    this.warnOnce(unreadable)
    const inForce = rules.map(({ rule }) => rule)
    const values = await readSignals(inForce, this.sources, now)
    const { states, transitions } = evaluateRules(inForce, this.previous, values, now)
    // The history keeps what fired (and its resolution); a pending spell that cleared was never an alert.
    // What another engine on the store recorded first is not kept again, and so not told again (one transition a rule per evaluation).
    const kept = new Map((await this.store.record(states, transitions.filter(notifies))).map((transition) => [transition.name, transition]))
    this.previous = new Map(states.map((state) => [state.name, state]))
    const byName = new Map(inForce.map((rule) => [rule.name, rule]))
    for (const transition of transitions) {
      const told: AlertEvent | undefined = notifies(transition) ? kept.get(transition.name) : { ...transition, id: null }
      if (told) this.hooks.onTransition(told, byName.get(transition.name)!)
    }
    this.hooks.onFiring(
      inForce.filter((rule) => this.previous.get(rule.name)?.state === 'firing').map((rule) => ({ alertname: rule.name, severity: rule.severity })),
    )
    if (now - this.prunedAt > HOUR) {
      this.prunedAt = now
      await this.store.pruneHistory(now - this.options.historyKeptMs)
    }
  }

  /** A stored rule that does not parse is said once, not every evaluation. */
  private warnOnce(unreadable: readonly string[]): void {
    for (const message of unreadable) if (!this.unreadable.has(message)) this.hooks.warn(`${message}: it is not evaluated until it is saved again`)
    this.unreadable = new Set(unreadable)
  }
}
