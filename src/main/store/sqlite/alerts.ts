/** The alert store on SQLite: the tables of migration 0010, and a window's usage from the rollups. */
import type { Database } from 'better-sqlite3'
import { RESOLUTION_MS, RESOLUTIONS } from '../../../shared/costs'
import type { AlertTransition } from '../../../shared/alerts'
import { sql } from './db/connection'
import { bucketStart, keptFrom, LATENCY_COLUMNS } from '../../telemetry/rollups'
import { alreadyRecorded, type AlertStore, type HistoryQuery, type NewTransition, type StoredAlertState, type StoredRule, type WindowUsage } from '../../alerts/store'

/** The all-providers row of each bucket (provider ''), summed over the window: one range of the primary key. */
export const USAGE_SQL = `SELECT sum(attempts), sum(failed) + sum(dead), sum(completed) + sum(dead), ${LATENCY_COLUMNS.map((c) => `sum(${c})`).join(', ')}
  FROM usage_rollups WHERE resolution = @width AND bucket >= @first AND bucket < @until AND provider = ''`

export const HISTORY_SQL = `SELECT id, name, severity, to_state AS "to", from_state AS "from", at, value, summary FROM alert_history
  WHERE (@name IS NULL OR name = @name) AND at >= @since ORDER BY at DESC, id DESC LIMIT @limit`

export class SqliteAlertStore implements AlertStore {
  constructor(private readonly db: Database) {}

  operatorRules(): StoredRule[] {
    const rows = sql(this.db, 'SELECT name, rule, updated_at AS updatedAt FROM alert_rules ORDER BY name').all() as {
      name: string
      rule: string
      updatedAt: number
    }[]
    return rows.map((row) => ({ name: row.name, rule: parseJson(row.rule), updatedAt: row.updatedAt }))
  }

  saveRule(name: string, rule: unknown, now: number): void {
    sql(
      this.db,
      'INSERT INTO alert_rules (name, rule, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at',
    ).run(name, JSON.stringify(rule), now)
  }

  removeRule(name: string): boolean {
    return sql(this.db, 'DELETE FROM alert_rules WHERE name = ?').run(name).changes > 0
  }

  states(): StoredAlertState[] {
    return sql(this.db, 'SELECT name, state, since, value, evaluated_at AS evaluatedAt FROM alert_states ORDER BY name').all() as StoredAlertState[]
  }

  record(states: readonly StoredAlertState[], transitions: readonly NewTransition[]): AlertTransition[] {
    const write = sql(
      this.db,
      `INSERT INTO alert_states (name, state, since, value, evaluated_at) VALUES (@name, @state, @since, @value, @evaluatedAt)
       ON CONFLICT (name) DO UPDATE SET state = excluded.state, since = excluded.since, value = excluded.value, evaluated_at = excluded.evaluated_at`,
    )
    const append = sql(
      this.db,
      'INSERT INTO alert_history (name, severity, from_state, to_state, at, value, summary) VALUES (@name, @severity, @from, @to, @at, @value, @summary)',
    )
    const names = JSON.stringify(states.map((state) => state.name))
    return this.db
      .transaction(() => {
        // Read under the write lock, before this call's states: what another engine (the CLI's `run` beside the app) recorded.
        const stored = new Map(this.states().map((state) => [state.name, state.state]))
        const fresh = transitions.filter((transition) => !alreadyRecorded(stored.get(transition.name), transition))
        for (const state of states) write.run(state)
        // A rule that is gone (removed, or a default no longer shipped) has no state to show.
        sql(this.db, 'DELETE FROM alert_states WHERE name NOT IN (SELECT value FROM json_each(?))').run(names)
        return fresh.map((transition) => ({ ...transition, id: Number(append.run(transition).lastInsertRowid) }))
      })
      .immediate()
  }

  history({ name, since, limit }: HistoryQuery): AlertTransition[] {
    return sql(this.db, HISTORY_SQL).all({ name: name ?? null, since: since ?? 0, limit }) as AlertTransition[]
  }

  pruneHistory(before: number): number {
    return sql(this.db, 'DELETE FROM alert_history WHERE at < ?').run(before).changes
  }

  usageSince(since: number, now: number): WindowUsage {
    // The finest resolution that still holds the whole window: seconds for the last hour.
    const resolution = RESOLUTIONS.find((r) => keptFrom(r, now) <= since) ?? RESOLUTIONS.at(-1)!
    const width = RESOLUTION_MS[resolution]
    const row = sql(this.db, USAGE_SQL)
      .raw()
      .get({ width, first: bucketStart(since, width), until: now + 1 }) as (number | null)[]
    const [attempts, failed, finished, ...latency] = row.map((value) => value ?? 0)
    return { attempts: attempts!, failed: failed!, finished: finished!, latencyCounts: latency }
  }
}

/** Stored JSON that no longer parses is unknown like any other: the rules module reports it. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
