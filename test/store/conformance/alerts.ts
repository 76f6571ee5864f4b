/** Conformance, the alerts port: the operator's rules, where each rule stands, the history of transitions, and a window's usage from the rollups. */
import { describe, expect, it } from 'vitest'
import type { NewTransition, StoredAlertState } from '../../../src/main/alerts/store'
import { T0, freshStore, type StoreFactory } from './harness'
import { runAttempts, type PortsStore } from './ports-harness'

const state = (name: string, overrides: Partial<StoredAlertState> = {}): StoredAlertState => ({
  name,
  state: 'inactive',
  since: null,
  value: null,
  evaluatedAt: T0,
  ...overrides,
})

const transition = (name: string, at: number, overrides: Partial<NewTransition> = {}): NewTransition => ({
  name,
  severity: 'warning',
  from: 'pending',
  to: 'firing',
  at,
  value: 0.5,
  summary: `${name} is firing`,
  ...overrides,
})

export function alertsConformance(factory: StoreFactory<PortsStore>): void {
  describe('rules', () => {
    it('keeps the operator’s rules in bytewise name order as they were given, replaces one, and removes it once', async () => {
      const { store, another } = await freshStore(factory)
      await store.alerts.saveRule('slow', { signal: 'p95_job_seconds', above: 30, for: '5m' }, T0)
      await store.alerts.saveRule('Zombie', { signal: 'failure_rate', above: 0.2 }, T0)
      await store.alerts.saveRule('slow', { signal: 'p95_job_seconds', above: 60, labels: ['a', 'ü'] }, T0 + 1)
      // Another engine on the store sees the same rules.
      const other = await another()
      expect(await other.alerts.operatorRules()).toEqual([
        { name: 'Zombie', rule: { signal: 'failure_rate', above: 0.2 }, updatedAt: T0 },
        { name: 'slow', rule: { signal: 'p95_job_seconds', above: 60, labels: ['a', 'ü'] }, updatedAt: T0 + 1 },
      ])
      expect(await store.alerts.removeRule('slow')).toBe(true)
      expect(await store.alerts.removeRule('slow')).toBe(false)
      expect((await store.alerts.operatorRules()).map((rule) => rule.name)).toEqual(['Zombie'])
    })
  })

  describe('states and history', () => {
    it('writes every rule’s state, drops the states of rules gone, and numbers the transitions it keeps', async () => {
      const { store } = await freshStore(factory)
      expect(await store.alerts.states()).toEqual([])
      const first = await store.alerts.record(
        [state('b', { state: 'firing', since: T0 - 60_000, value: 0.75 }), state('a'), state('c', { state: 'pending', since: T0 })],
        [transition('b', T0), transition('c', T0, { from: 'inactive', to: 'pending', value: null, severity: 'critical' })],
      )
      expect(first.map((t) => t.name)).toEqual(['b', 'c'])
      expect(first[1]!.id).toBeGreaterThan(first[0]!.id)
      expect(first[0]).toEqual({ id: first[0]!.id, ...transition('b', T0) })
      expect(await store.alerts.states()).toEqual([
        state('a'),
        state('b', { state: 'firing', since: T0 - 60_000, value: 0.75 }),
        state('c', { state: 'pending', since: T0 }),
      ])
      // Rule c is gone: its state goes with it; b resolves.
      const second = await store.alerts.record(
        [state('a', { evaluatedAt: T0 + 1000 }), state('b', { evaluatedAt: T0 + 1000 })],
        [transition('b', T0 + 1000, { from: 'firing', to: 'resolved', value: 0.1, summary: 'b resolved' })],
      )
      expect(second[0]!.id).toBeGreaterThan(first[1]!.id)
      expect((await store.alerts.states()).map((s) => [s.name, s.state, s.evaluatedAt])).toEqual([
        ['a', 'inactive', T0 + 1000],
        ['b', 'inactive', T0 + 1000],
      ])
      const history = await store.alerts.history({ limit: 10 })
      expect(history.map((t) => [t.name, t.from, t.to, t.at, t.value, t.severity])).toEqual([
        ['b', 'firing', 'resolved', T0 + 1000, 0.1, 'warning'],
        ['c', 'inactive', 'pending', T0, null, 'critical'],
        ['b', 'pending', 'firing', T0, 0.5, 'warning'],
      ])
      expect((await store.alerts.history({ name: 'b', limit: 10 })).map((t) => t.to)).toEqual(['resolved', 'firing'])
      expect((await store.alerts.history({ since: T0 + 1, limit: 10 })).map((t) => t.to)).toEqual(['resolved'])
      expect((await store.alerts.history({ limit: 1 })).map((t) => t.id)).toEqual([second[0]!.id])
      expect(await store.alerts.pruneHistory(T0 + 1)).toBe(2)
      expect(await store.alerts.pruneHistory(T0 + 1)).toBe(0)
      expect((await store.alerts.history({ limit: 10 })).map((t) => t.id)).toEqual([second[0]!.id])
    })
  })

  describe('usage', () => {
    it('sums a window’s attempts, failures, finished jobs and latencies from the rollups', async () => {
      const { store } = await freshStore(factory)
      expect(await store.alerts.usageSince(T0, T0 + 60_000)).toMatchObject({ attempts: 0, failed: 0, finished: 0 })
      await runAttempts(store, [{ durationMs: 100 }, { durationMs: 2000 }, { outcome: 'dead' }, { outcome: 'dead' }])
      await runAttempts(store, [{ durationMs: 100 }], T0 - 10 * 60_000, 'earlier')
      const recent = await store.alerts.usageSince(T0, T0 + 60_000)
      expect(recent).toMatchObject({ attempts: 4, failed: 2, finished: 4 })
      expect(recent.latencyCounts.reduce((sum, n) => sum + n, 0)).toBe(2)
      expect(recent.latencyCounts.filter((n) => n > 0)).toEqual([1, 1])
      // A window longer than the seconds keep reads minutes, then hours.
      const day = await store.alerts.usageSince(T0 - 2 * 3_600_000, T0 + 60_000)
      expect(day).toMatchObject({ attempts: 5, failed: 2, finished: 5 })
      expect(day.latencyCounts.reduce((sum, n) => sum + n, 0)).toBe(3)
    })
  })
}
