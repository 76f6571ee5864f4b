/** The alert store on a real SQLite file: migration 0010, states and history, a window's usage from the rollups, and the plans of its reads. */
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { HISTORY_SQL, USAGE_SQL } from '../../src/main/store/sqlite/alerts'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempDir } from '../support/temp'

const stores: SqliteQueueStore[] = []
afterEach(() => stores.splice(0).forEach((store) => store.close()))
const open = () => {
  const store = SqliteQueueStore.open(join(tempDir(), 'genops.db'))
  stores.push(store)
  return store
}

describe('migration 0010_alerts', () => {
  it('upgrades a database of the previous version and checks what it stores', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'alerts')
    expect(all[at]!.version).toBe(10)
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    migrate(db, all)
    db.prepare(`INSERT INTO alert_states (name, state, evaluated_at) VALUES ('A', 'firing', 0)`).run()
    expect(() => db.prepare(`INSERT INTO alert_states (name, state, evaluated_at) VALUES ('B', 'smouldering', 0)`).run()).toThrow(/CHECK/)
    expect(() =>
      db.prepare(`INSERT INTO alert_history (name, severity, from_state, to_state, at, summary) VALUES ('A', 'warning', 'firing', 'inactive', 0, 's')`).run(),
    ).toThrow(/CHECK/)
    db.close()
  })
})

describe('the alert store', () => {
  it('keeps states and appends transitions in one go, forgets the states of rules that are gone, and lists history newest first', () => {
    const { alerts } = open()
    const t = (name: string, at: number, to: 'pending' | 'firing' | 'resolved') => ({
      name,
      severity: 'warning' as const,
      from: 'inactive' as const,
      to,
      at,
      value: 1,
      summary: name,
    })
    const kept = alerts.record(
      [
        { name: 'A', state: 'pending', since: 1, value: 1, evaluatedAt: 1 },
        { name: 'B', state: 'inactive', since: null, value: null, evaluatedAt: 1 },
      ],
      [t('A', 1, 'pending')],
    )
    expect(kept).toEqual([expect.objectContaining({ id: expect.any(Number), name: 'A', to: 'pending' })])
    alerts.record([{ name: 'A', state: 'firing', since: 1, value: 2, evaluatedAt: 5 }], [t('A', 5, 'firing')])
    expect(alerts.states()).toEqual([{ name: 'A', state: 'firing', since: 1, value: 2, evaluatedAt: 5 }])
    expect(alerts.history({ limit: 10 }).map((h) => [h.name, h.to])).toEqual([
      ['A', 'firing'],
      ['A', 'pending'],
    ])
    expect(alerts.history({ limit: 10, since: 2 })).toHaveLength(1)
    expect(alerts.history({ limit: 10, name: 'B' })).toEqual([])
    expect(alerts.pruneHistory(3)).toBe(1)
  })

  it("keeps the operator's rules as given, and reads back a row that no longer parses as it is", () => {
    const store = open()
    store.alerts.saveRule('Mine', { name: 'Mine', threshold: 3 }, 1)
    store.alerts.saveRule('Mine', { name: 'Mine', threshold: 4 }, 2)
    store.db.prepare(`INSERT INTO alert_rules (name, rule, updated_at) VALUES ('Broken', '{not json', 3)`).run()
    expect(store.alerts.operatorRules()).toEqual([
      { name: 'Broken', rule: '{not json', updatedAt: 3 },
      { name: 'Mine', rule: { name: 'Mine', threshold: 4 }, updatedAt: 2 },
    ])
    expect(store.alerts.removeRule('Mine')).toBe(true)
    expect(store.alerts.removeRule('Mine')).toBe(false)
  })

  it("sums a window's settled attempts from the rollups' all-providers rows", () => {
    const store = open()
    const now = 10_000_000
    const row = store.db.prepare(
      `INSERT INTO usage_rollups (resolution, bucket, provider, provider_kind, model, attempts, completed, failed, dead, lat_10) VALUES (1000, ?, ?, 'sim', '', ?, ?, ?, ?, ?)`,
    )
    row.run(now - 2000, '', 10, 6, 3, 1, 6)
    row.run(now - 2000, 'sim', 10, 6, 3, 1, 6) // a provider's own row: not counted twice
    row.run(now - 60_000, '', 50, 50, 0, 0, 50) // outside a 30 s window
    const usage = store.alerts.usageSince(now - 30_000, now)
    expect(usage).toMatchObject({ attempts: 10, failed: 4, finished: 7 })
    expect(usage.latencyCounts[10]).toBe(6)
    expect(store.alerts.usageSince(now - 120_000, now).attempts).toBe(60)
  })

  it('reads a window by the rollups’ primary key and the history by its indexes', () => {
    const { db } = open()
    const plan = (text: string, params: object) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]).map((r) => r.detail).join('\n')
    expect(plan(USAGE_SQL, { width: 1000, first: 0, until: 1 })).toMatch(/SEARCH usage_rollups USING PRIMARY KEY \(resolution=\? AND bucket>\? AND bucket<\?\)/)
    expect(plan(HISTORY_SQL, { name: null, since: 0, limit: 10 })).toMatch(/alert_history_by_at/)
  })
})
