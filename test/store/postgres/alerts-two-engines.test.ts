/**
 * Every engine on one PostgreSQL database runs its own alert runner over the shared
 * alert_states, each with its own memory of the previous states: a firing is kept, and so
 * told (tray, webhook), once for the team, not once per engine (a hostile read found N).
 */
import { describe, expect, it } from 'vitest'
import type { NewTransition, StoredAlertState } from '../../../src/main/alerts/store'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { T0 } from '../conformance/harness'

const server = await postgresServer()

const firing: StoredAlertState = { name: 'failure-rate', state: 'firing', since: T0, value: 0.5, evaluatedAt: T0 }
const fired: NewTransition = { name: 'failure-rate', severity: 'warning', from: 'pending', to: 'firing', at: T0, value: 0.5, summary: 'failure rate 50%' }

describe.skipIf(!server)('alerts with two engines on one database', () => {
  it('keeps (and so announces) one firing, not one per engine', async () => {
    const url = await server!.freshDatabase()
    const a = await PostgresQueueStore.open(url)
    const b = await PostgresQueueStore.open(url)
    try {
      // Both engines carried on from the same stored states and saw the rule cross its threshold.
      expect(await a.alerts.states()).toEqual([])
      expect(await b.alerts.states()).toEqual([])
      const [keptA, keptB] = await Promise.all([
        a.alerts.record([firing], [fired]),
        b.alerts.record([{ ...firing, evaluatedAt: T0 + 5 }], [{ ...fired, at: T0 + 5 }]),
      ])
      expect(keptA.length + keptB.length).toBe(1)
      expect((await a.alerts.history({ limit: 10 })).filter((t) => t.to === 'firing')).toHaveLength(1)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
