/**
 * One evaluation of every rule, as Prometheus does it: a rule whose condition holds goes
 * pending, and fires once it has held for its `for` duration; a rule whose condition stops
 * holding resolves. Only transitions are returned, so a notification is sent per change,
 * never per evaluation. Pure: the clock and the values come in, the states go out.
 */
import { holds, type AlertRule } from '../../shared/alerts'
import { parseDuration } from '../../shared/duration'
import type { NewTransition, StoredAlertState } from './store'

export interface Evaluation {
  states: StoredAlertState[]
  transitions: NewTransition[]
}

/**
 * `values` has each enabled rule's signal value (null: no evidence, such as fewer attempts
 * than the rule's minimum). A rule missing from `previous` starts inactive.
 */
export function evaluateRules(
  rules: readonly AlertRule[],
  previous: ReadonlyMap<string, StoredAlertState>,
  values: ReadonlyMap<string, number | null>,
  now: number,
): Evaluation {
  const states: StoredAlertState[] = []
  const transitions: NewTransition[] = []
  for (const rule of rules) {
    const before = previous.get(rule.name)
    const was = before?.state ?? 'inactive'
    const value = values.get(rule.name) ?? null
    const active = rule.enabled && value !== null && holds(rule.op, value, rule.threshold)
    const move = (to: NewTransition['to']) =>
      transitions.push({ name: rule.name, severity: rule.severity, from: was, to, at: now, value, summary: rule.summary })

    if (!active) {
      if (was !== 'inactive') move('resolved')
      states.push({ name: rule.name, state: 'inactive', since: null, value, evaluatedAt: now })
      continue
    }
    const since = was === 'inactive' ? now : (before?.since ?? now)
    const due = now - since >= parseDuration(rule.for)
    const state = was === 'firing' || due ? 'firing' : 'pending'
    if (state !== was) move(state)
    states.push({ name: rule.name, state, since, value, evaluatedAt: now })
  }
  return { states, transitions }
}
