import { describe, expect, it } from 'vitest'
import { AlertRule, describeRule, notifies, type AlertRuleInput } from '../../src/shared/alerts'
import { evaluateRules } from '../../src/main/alerts/evaluate'
import type { StoredAlertState } from '../../src/main/alerts/store'

const rule = (over: Partial<AlertRuleInput> = {}) =>
  AlertRule.parse({
    name: 'Failing',
    signal: 'failure_rate',
    window: '5m',
    minAttempts: 20,
    op: '>',
    threshold: 0.1,
    for: '1m',
    severity: 'warning',
    summary: 'failing',
    ...over,
  })

/** Runs evaluations at the given times and values, carrying the states along; returns every transition. */
function run(rules: AlertRule[], steps: [number, number | null][]) {
  let previous = new Map<string, StoredAlertState>()
  const transitions = []
  for (const [at, value] of steps) {
    const evaluation = evaluateRules(rules, previous, new Map(rules.map((r) => [r.name, value])), at)
    previous = new Map(evaluation.states.map((s) => [s.name, s]))
    transitions.push(...evaluation.transitions)
  }
  return { transitions, states: [...previous.values()] }
}

describe('evaluating alert rules', () => {
  it('goes pending, fires once the condition has held for its duration, and resolves: one transition each', () => {
    const { transitions } = run(
      [rule()],
      [
        [0, 0.05],
        [15_000, 0.3],
        [30_000, 0.4],
        [75_000, 0.5],
        [90_000, 0.6],
        [105_000, 0.02],
        [120_000, 0.01],
      ],
    )
    expect(transitions.map((t) => [t.at, t.from, t.to])).toEqual([
      [15_000, 'inactive', 'pending'],
      [75_000, 'pending', 'firing'],
      [105_000, 'firing', 'resolved'],
    ])
    expect(transitions.filter(notifies).map((t) => t.to)).toEqual(['firing', 'resolved'])
  })

  it('a pending spell that clears before its duration resolves without a notification', () => {
    const { transitions } = run(
      [rule()],
      [
        [0, 0.5],
        [30_000, 0.01],
      ],
    )
    expect(transitions.map((t) => [t.from, t.to])).toEqual([
      ['inactive', 'pending'],
      ['pending', 'resolved'],
    ])
    expect(transitions.filter(notifies)).toEqual([])
  })

  it('fires at once with for 0s, and no evidence (null) counts as not holding', () => {
    const { transitions, states } = run(
      [rule({ for: '0s' })],
      [
        [0, null],
        [1, 0.5],
        [2, 0.5],
        [3, null],
      ],
    )
    expect(transitions.map((t) => [t.at, t.from, t.to])).toEqual([
      [1, 'inactive', 'firing'],
      [3, 'firing', 'resolved'],
    ])
    expect(states[0]).toMatchObject({ state: 'inactive', since: null, value: null, evaluatedAt: 3 })
  })

  it('a disabled rule resolves and stays quiet', () => {
    const firing = new Map<string, StoredAlertState>([['Failing', { name: 'Failing', state: 'firing', since: 0, value: 0.5, evaluatedAt: 0 }]])
    const { transitions, states } = evaluateRules([rule({ enabled: false })], firing, new Map(), 10)
    expect(transitions).toMatchObject([{ from: 'firing', to: 'resolved' }])
    expect(states).toMatchObject([{ state: 'inactive' }])
  })

  it('compares with each operator', () => {
    for (const [op, value, holds] of [
      ['<', 5, true],
      ['<', 10, false],
      ['<=', 10, true],
      ['>=', 10, true],
      ['>', 10, false],
    ] as const) {
      const { states } = run([rule({ signal: 'jobs_waiting', window: undefined, minAttempts: undefined, op, threshold: 10, for: '0s' })], [[0, value]])
      expect(states[0]!.state, `${value} ${op} 10`).toBe(holds ? 'firing' : 'inactive')
    }
  })
})

describe('alert rules', () => {
  it('say what is wrong with them', () => {
    const problems = (input: Partial<AlertRuleInput>) =>
      AlertRule.safeParse({ ...rule(), ...input }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(problems({ window: undefined })).toEqual(['window: failure_rate needs a window, like 5m'])
    expect(problems({ signal: 'jobs_waiting', minAttempts: undefined })).toEqual(['window: jobs_waiting is measured now: it takes no window'])
    expect(problems({ for: '90' })).toEqual(['for: must be a whole number of seconds, minutes, hours or days, like 30s, 5m or 1h'])
    expect(problems({ name: '9lives' })).toEqual(['name: name must be letters, digits and _, not starting with a digit'])
    expect(problems({ signal: 'p95_job_seconds' })).toEqual(['minAttempts: minAttempts applies to failure_rate only'])
  })

  it('read as an operator would write them', () => {
    expect(describeRule(rule())).toBe('failure_rate[5m] > 0.1 (at least 20 attempts) for 1m')
    expect(describeRule(rule({ signal: 'breakers_open', window: undefined, minAttempts: undefined, threshold: 0, for: '0s' }))).toBe('breakers_open > 0')
  })
})
