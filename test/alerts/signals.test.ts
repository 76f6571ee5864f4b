/** Each signal from a real store: what the engine's rules compare with their thresholds. */
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readSignals, type SignalSources } from '../../src/main/alerts/signals'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { latencyBucket } from '../../src/main/telemetry/rollups'
import { AlertRule, type AlertRuleInput } from '../../src/shared/alerts'
import { job, T0 } from '../support/queue'
import { tempDir } from '../support/temp'

const stores: SqliteQueueStore[] = []
afterEach(() => stores.splice(0).forEach((store) => store.close()))

function setup(breakers: SignalSources['breakers'] = () => []) {
  const dataDir = tempDir()
  const store = SqliteQueueStore.open(join(dataDir, 'genops.db'))
  stores.push(store)
  const sources: SignalSources = { alerts: store.alerts, queueStats: (now) => store.stats(now), breakers, budgets: (now) => store.costs.budgets(now), dataDir }
  const read = async (rule: Partial<AlertRuleInput>, now = T0) => {
    const parsed = AlertRule.parse({ name: 'R', op: '>', threshold: 0, severity: 'warning', summary: 's', ...rule })
    return (await readSignals([parsed], sources, now)).get('R')
  }
  return { store, read }
}

describe('alert signals', () => {
  it('no progress: jobs wait and none finished over the window, unless the queue is paused', async () => {
    const { store, read } = setup()
    const stuck = { signal: 'no_progress', window: '10m' } as const
    expect(await read(stuck)).toBe(0) // nothing waits
    store.enqueue([job('a', { runAt: T0 - 1000 })], 'b', T0 - 1000, null)
    expect(await read(stuck)).toBe(1)
    store.db
      .prepare(`INSERT INTO usage_rollups (resolution, bucket, provider, provider_kind, model, attempts, completed) VALUES (1000, ?, '', '', '', 1, 1)`)
      .run(T0 - 5000)
    expect(await read(stuck)).toBe(0)
    expect(await read(stuck, T0 + 11 * 60_000)).toBe(1)
    store.setPaused(true)
    expect(await read(stuck, T0 + 11 * 60_000)).toBe(0)
  })

  it('p95 job time in seconds, from the latency histogram of the window; none without completed attempts', async () => {
    const { store, read } = setup()
    const p95 = { signal: 'p95_job_seconds', window: '1m' } as const
    expect(await read(p95)).toBeNull()
    const insert = store.db.prepare(
      `INSERT INTO usage_rollups (resolution, bucket, provider, provider_kind, model, attempts, completed, lat_${latencyBucket(100)}, lat_${latencyBucket(30_000)}) VALUES (1000, ?, '', '', '', ?, ?, ?, ?)`,
    )
    insert.run(T0 - 10_000, 100, 100, 90, 10)
    // The slowest tenth took 30 s: the 95th percentile lands in 30 s's bucket (25.1 to 39.8 s).
    const seconds = (await read(p95))!
    expect(seconds).toBeGreaterThan(25.1)
    expect(seconds).toBeLessThanOrEqual(39.9)
  })

  it('failure rate needs its minimum of attempts', async () => {
    const { store, read } = setup()
    store.db
      .prepare(
        `INSERT INTO usage_rollups (resolution, bucket, provider, provider_kind, model, attempts, completed, failed, dead) VALUES (1000, ?, '', '', '', 10, 6, 3, 1)`,
      )
      .run(T0 - 1000)
    expect(await read({ signal: 'failure_rate', window: '1m', minAttempts: 10 })).toBeCloseTo(0.4)
    expect(await read({ signal: 'failure_rate', window: '1m', minAttempts: 11 })).toBeNull()
  })

  it('budgets used, breakers open and free disk', async () => {
    const { store, read } = setup(() => [{ state: 'open' }, { state: 'closed' }, { state: 'isolated' }])
    expect(await read({ signal: 'budget_used_ratio' })).toBeNull()
    store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 10, action: 'alert' }, T0)
    expect(await read({ signal: 'budget_used_ratio' })).toBe(0)
    expect(await read({ signal: 'breakers_open' })).toBe(2)
    expect(await read({ signal: 'free_disk_bytes' })).toBeGreaterThan(0)
  })
})
