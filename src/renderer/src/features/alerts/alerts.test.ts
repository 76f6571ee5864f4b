import { afterEach, describe, expect, test, vi } from 'vitest'
import { AlertRule, type AlertStatus, type AlertTransition } from '../../../../shared/alerts'
import type { EngineEvent } from '../../../../shared/contract'
import { ApiError, type Client } from '../../api'
import { activeAlerts, createAlertsStore, firingCount, REFRESH_MS, transitionValue } from './alerts'
import { draftOf, newDraft, ruleOf, thresholdOf, withSignal } from './rule-draft'

const rule = (input: Partial<AlertRule> & Pick<AlertRule, 'name'>): AlertRule =>
  AlertRule.parse({ signal: 'jobs_waiting', op: '>', threshold: 10, severity: 'warning', summary: 'Jobs are waiting', ...input })

const status = (input: Partial<AlertStatus> & { rule: AlertRule }): AlertStatus => ({
  builtin: true,
  state: 'inactive',
  since: null,
  value: null,
  evaluatedAt: null,
  ...input,
})

const FAILURE_RATE = rule({ name: 'GenOpsFailureRateHigh', signal: 'failure_rate', window: '5m', minAttempts: 20, threshold: 0.1, for: '1m' })
const DISK = rule({ name: 'GenOpsDiskLow', signal: 'free_disk_bytes', op: '<', threshold: 2 ** 30, severity: 'critical' })
const WAITING = rule({ name: 'GenOpsQueueCongested', threshold: 1000 })

describe('the rule editor', () => {
  test('a default opened, changed and saved is the same rule with the new threshold', () => {
    const draft = draftOf(status({ rule: FAILURE_RATE }))
    expect(draft).toMatchObject({ editing: 'GenOpsFailureRateHigh', threshold: '0.1', window: '5m', minAttempts: '20', for: '1m' })
    expect(ruleOf({ ...draft, threshold: '15%' })).toEqual({ rule: { ...FAILURE_RATE, threshold: 0.15 } })
    expect(ruleOf({ ...draft, enabled: false })).toEqual({ rule: { ...FAILURE_RATE, enabled: false } })
  })

  test('says what is wrong in words, field by field', () => {
    const draft = draftOf(status({ rule: FAILURE_RATE }))
    expect(ruleOf({ ...draft, threshold: 'lots' })).toEqual({ problem: 'Threshold: a number, like 0.1 or 10%' })
    expect(ruleOf({ ...draft, minAttempts: '2.5' })).toEqual({ problem: 'At least: a whole number of attempts, 1 or more, or empty' })
    expect(ruleOf({ ...draft, window: '5 minutes' })).toEqual({
      problem: 'Window: must be a whole number of seconds, minutes, hours or days, like 30s, 5m or 1h',
    })
    expect(ruleOf({ ...newDraft('jobs_waiting'), threshold: '5', summary: ' ' })).toEqual({
      problem: 'Name: letters, digits and _, like GenOpsQueueLong. Summary: one line that says what is wrong',
    })
    expect(ruleOf({ ...newDraft('jobs_waiting'), name: '9lives', threshold: '5', summary: 'x' })).toEqual({
      problem: 'Name: name must be letters, digits and _, not starting with a digit',
    })
  })

  test('a new rule takes the fields its signal needs, and drops the ones it does not', () => {
    const draft = newDraft('failure_rate')
    expect(draft).toMatchObject({ window: '5m', minAttempts: '20' })
    const moved = withSignal(draft, 'breakers_open')
    expect(moved).toMatchObject({ window: '', minAttempts: '' })
    expect(ruleOf({ ...moved, name: 'Breakers', threshold: '0', summary: 'A breaker is open' })).toEqual({
      rule: rule({ name: 'Breakers', signal: 'breakers_open', threshold: 0, for: '1m', summary: 'A breaker is open' }),
    })
    expect(withSignal(draft, 'free_disk_bytes').op).toBe('<')
    expect(thresholdOf('1,000', 'jobs_waiting')).toBe(1000)
    expect(thresholdOf('10%', 'jobs_waiting')).toBeNull()
  })
})

describe('what the screen shows', () => {
  test('firing before pending, critical first, longest-standing first; inactive left out', () => {
    const alerts = [
      status({ rule: WAITING, state: 'pending', since: 1 }),
      status({ rule: FAILURE_RATE, state: 'firing', since: 5 }),
      status({ rule: DISK, state: 'firing', since: 9 }),
      status({ rule: rule({ name: 'Quiet' }) }),
    ]
    expect(activeAlerts(alerts).map((a) => a.rule.name)).toEqual(['GenOpsDiskLow', 'GenOpsFailureRateHigh', 'GenOpsQueueCongested'])
    expect(firingCount(alerts)).toBe(2)
  })

  test("a transition's value in its rule's words", () => {
    const signals = new Map([['GenOpsFailureRateHigh', 'failure_rate' as const]])
    const at = (name: string, value: number | null): AlertTransition => ({
      id: 1,
      name,
      severity: 'warning',
      from: 'pending',
      to: 'firing',
      at: 0,
      value,
      summary: '',
    })
    expect(transitionValue(at('GenOpsFailureRateHigh', 0.125), signals)).toBe('12.5%')
    expect(transitionValue(at('Gone', 1204), signals)).toBe('1,204')
    expect(transitionValue(at('Gone', null), signals)).toBe('no data')
  })
})

function fakeEngine(alerts: AlertStatus[]) {
  const listeners = new Set<(event: EngineEvent) => void>()
  const engine = {
    alerts,
    listAlerts: vi.fn(async () => ({ alerts: engine.alerts })),
    alertHistory: vi.fn(async () => ({ transitions: [] as AlertTransition[] })),
    saveAlertRule: vi.fn(async (input: AlertRule) => {
      if (input.threshold < 0) throw new ApiError('INVALID_INPUT', 'threshold: must not be negative')
      const saved = status({ rule: input })
      engine.alerts = engine.alerts.map((a) => (a.rule.name === input.name ? saved : a))
      return saved
    }),
    removeAlertRule: vi.fn(async () => ({ removed: true })),
    onEvent: (listener: (event: EngineEvent) => void) => (listeners.add(listener), () => listeners.delete(listener)),
    onConnection: () => () => {},
    emit: (event: EngineEvent) => listeners.forEach((listener) => listener(event)),
    listeners,
  }
  return engine
}

describe('the alerts store', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  test('the badge loads rules without history; the screen adds history; alert events refetch once a burst', async () => {
    vi.useFakeTimers()
    const engine = fakeEngine([status({ rule: FAILURE_RATE }), status({ rule: DISK })])
    const store = createAlertsStore(engine as unknown as Client)
    const stopBadge = store.getState().start()
    await vi.advanceTimersByTimeAsync(0)
    expect(store.getState().status).toBe('ready')
    expect(engine.alertHistory).not.toHaveBeenCalled()

    const stopScreen = store.getState().watch()
    await vi.advanceTimersByTimeAsync(REFRESH_MS)
    expect(store.getState().historyState).toBe('ready')
    expect(engine.listAlerts).toHaveBeenCalledTimes(2)

    engine.alerts = [status({ rule: FAILURE_RATE, state: 'firing', since: 1, value: 0.3 }), status({ rule: DISK })]
    const transition: AlertTransition = { id: 1, name: FAILURE_RATE.name, severity: 'warning', from: 'pending', to: 'firing', at: 1, value: 0.3, summary: '' }
    for (let i = 0; i < 5; i++) engine.emit({ type: 'alert', data: transition })
    await vi.advanceTimersByTimeAsync(REFRESH_MS)
    expect(engine.listAlerts).toHaveBeenCalledTimes(3)
    expect(firingCount(store.getState().alerts)).toBe(1)

    // Both stop, and the feed with them.
    stopScreen()
    expect(engine.listeners.size).toBe(1)
    stopBadge()
    expect(engine.listeners.size).toBe(0)
  })

  test('opens the rule the address names, saves an edit, switches a rule off, and restores a default', async () => {
    const engine = fakeEngine([status({ rule: FAILURE_RATE }), status({ rule: DISK })])
    const store = createAlertsStore(engine as unknown as Client)
    const stop = store.getState().watch()
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))

    store.getState().openRule('GenOpsFailureRateHigh')
    expect(store.getState().draft?.editing).toBe('GenOpsFailureRateHigh')
    store.getState().editDraft({ threshold: '-1' })
    expect(await store.getState().saveRule()).toBe(false)
    expect(store.getState().formProblem).toBe('Not saved: threshold: must not be negative')
    store.getState().editDraft({ threshold: '0.2' })
    expect(await store.getState().saveRule()).toBe(true)
    expect(engine.saveAlertRule).toHaveBeenLastCalledWith({ ...FAILURE_RATE, threshold: 0.2 })
    expect(store.getState()).toMatchObject({ draft: null, notice: { tone: 'info', text: 'Rule GenOpsFailureRateHigh saved.' } })

    await store.getState().setEnabled('GenOpsDiskLow', false)
    expect(engine.saveAlertRule).toHaveBeenLastCalledWith({ ...DISK, enabled: false })
    expect(store.getState().alerts.find((a) => a.rule.name === 'GenOpsDiskLow')?.rule.enabled).toBe(false)
    expect(store.getState().notice?.text).toBe('GenOpsDiskLow disabled: it is not evaluated and cannot fire.')

    store.getState().openRule('GenOpsDiskLow')
    expect(await store.getState().removeRule()).toBe(true)
    expect(engine.removeAlertRule).toHaveBeenCalledWith({ name: 'GenOpsDiskLow' })
    expect(store.getState().notice?.text).toBe('GenOpsDiskLow is back to its shipped default.')

    // A name the engine does not know is said, not opened; a new rule cannot take a name in use.
    store.getState().openRule('Nope')
    expect(store.getState()).toMatchObject({ draft: null, notice: { tone: 'error', text: 'There is no alert rule named Nope.' } })
    store.getState().newRule()
    store.getState().editDraft({ name: 'GenOpsDiskLow', threshold: '0.5', summary: 'again' })
    expect(await store.getState().saveRule()).toBe(false)
    expect(store.getState().formProblem).toBe('Name: there is a rule named GenOpsDiskLow already; choose another name, or edit that rule')
    stop()
  })
})
