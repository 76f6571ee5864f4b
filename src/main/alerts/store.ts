/**
 * What alerts need from storage: the operator's rules, where each rule stands, the history
 * of transitions, and the usage figures the windowed signals read. The queue store owns
 * one (`store.alerts`), as it owns the cost store: a second store brings its own.
 */
import type { AlertState, AlertTransition } from '../../shared/alerts'

type Awaitable<T> = T | Promise<T>

/** A rule as kept: its JSON is unknown until parsed (src/main/alerts/rules.ts). */
export interface StoredRule {
  name: string
  rule: unknown
  updatedAt: number
}

export interface StoredAlertState {
  name: string
  state: AlertState
  since: number | null
  value: number | null
  evaluatedAt: number
}

export type NewTransition = Omit<AlertTransition, 'id'>

/** Settled attempts over a window, from the rollups (all providers together). */
export interface WindowUsage {
  attempts: number
  /** Failed attempts: sent back to the queue or dead. */
  failed: number
  /** Jobs that finished: completed or dead. */
  finished: number
  /** Completed attempts by duration bucket (telemetry/rollups.ts LATENCY_BOUNDS_MS). */
  latencyCounts: number[]
}

export interface HistoryQuery {
  name?: string
  since?: number
  limit: number
}

/**
 * True when the stored state already is where the transition leads: another engine on the
 * same store recorded (and announced) it first, so it is neither kept again nor told again.
 */
export function alreadyRecorded(stored: AlertState | undefined, transition: Pick<NewTransition, 'to'>): boolean {
  return (stored ?? 'inactive') === (transition.to === 'resolved' ? 'inactive' : transition.to)
}

export interface AlertStore {
  operatorRules(): Awaitable<StoredRule[]>
  saveRule(name: string, rule: unknown, now: number): Awaitable<void>
  removeRule(name: string): Awaitable<boolean>
  states(): Awaitable<StoredAlertState[]>
  /**
   * Writes every rule's state and appends the transitions, in one transaction; returns the
   * transitions as kept: those another engine on the store had already recorded are left out.
   */
  record(states: readonly StoredAlertState[], transitions: readonly NewTransition[]): Awaitable<AlertTransition[]>
  history(query: HistoryQuery): Awaitable<AlertTransition[]>
  /** Removes transitions older than `before`; returns how many went. */
  pruneHistory(before: number): Awaitable<number>
  usageSince(since: number, now: number): Awaitable<WindowUsage>
}
