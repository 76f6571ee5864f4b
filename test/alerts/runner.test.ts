/**
 * The runner on a real SQLite store: what the history keeps and what the event feed is
 * told. A pending spell that clears is told (the screens and the tray show it) and never
 * kept; a rule that fired is kept from firing to resolved.
 */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { AlertRule, type AlertEvent } from '../../src/shared/alerts'
import { AlertsRunner } from '../../src/main/alerts/runner'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempDir } from '../support/temp'

const stores: SqliteQueueStore[] = []
afterEach(() => stores.splice(0).forEach((store) => store.close()))

const WAITING = AlertRule.parse({ name: 'Backlog', signal: 'jobs_waiting', op: '>', threshold: 2, for: '1m', severity: 'warning', summary: 'backlog' })

/** A runner over a real store whose queue reports `waiting` jobs; evaluations are driven by hand. */
function setUp() {
  const store = SqliteQueueStore.open(join(tempDir(), 'genops.db'))
  stores.push(store)
  let waiting = 0
  const told: AlertEvent[] = []
  const runner = new AlertsRunner(
    store.alerts,
    [WAITING],
    {
      alerts: store.alerts,
      queueStats: () => ({ counts: { queued: waiting, delayed: 0, submitted: 0, active: 0, completed: 0, dead: 0, cancelled: 0 }, paused: false }),
      breakers: () => [],
      budgets: () => [],
      dataDir: tempDir(),
    },
    {
      onTransition: (transition) => told.push(transition),
      onFiring: () => {},
      warn: () => {},
      onError: (error) => {
        throw error
      },
    },
    { intervalMs: 60_000, historyKeptMs: 86_400_000 },
  )
  const at = async (ms: number, jobs: number) => {
    waiting = jobs
    await runner.evaluateNow(ms)
  }
  const history = () => store.alerts.history({ limit: 50 }).map((t) => `${t.from} -> ${t.to}`)
  return { at, told, history }
}

describe('the alerts runner', () => {
  it('keeps no history for a pending spell that cleared, and tells the feed without a history id', async () => {
    const { at, told, history } = setUp()
    await at(0, 5)
    await at(30_000, 0)
    expect(told.map((t) => [t.from, t.to, t.id])).toEqual([
      ['inactive', 'pending', null],
      ['pending', 'resolved', null],
    ])
    expect(history()).toEqual([])
  })

  it('keeps a fired spell from firing to resolved, each with its history id', async () => {
    const { at, told, history } = setUp()
    await at(0, 5)
    await at(30_000, 5)
    await at(60_000, 5)
    await at(90_000, 0)
    expect(history()).toEqual(['firing -> resolved', 'pending -> firing'])
    expect(told.map((t) => [t.to, t.id === null])).toEqual([
      ['pending', true],
      ['firing', false],
      ['resolved', false],
    ])
  })
})
