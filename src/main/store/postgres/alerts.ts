/** The alert store on PostgreSQL: rules, states and history shared by every engine, and a window's usage from the rollups. */
import type pg from 'pg'
import { RESOLUTION_MS, RESOLUTIONS } from '../../../shared/costs'
import type { AlertState, AlertTransition } from '../../../shared/alerts'
import { bucketStart, keptFrom, LATENCY_COLUMNS } from '../../telemetry/rollups'
import {
  alreadyRecorded,
  type AlertStore,
  type HistoryQuery,
  type NewTransition,
  type StoredAlertState,
  type StoredRule,
  type WindowUsage,
} from '../../alerts/store'
import { parseJson } from '../sqlite/alerts'
import { inTransaction } from './transaction'

/** The all-providers row of each bucket (provider ''), summed over the window; sums as double precision, not pg's numeric text. */
export const USAGE_SQL = `SELECT sum(attempts)::double precision, (sum(failed) + sum(dead))::double precision, (sum(completed) + sum(dead))::double precision,
    ${LATENCY_COLUMNS.map((c) => `sum(${c})::double precision`).join(', ')}
  FROM usage_rollups WHERE resolution = $1 AND bucket >= $2 AND bucket < $3 AND provider = ''`

export const HISTORY_SQL = `SELECT id, name, severity, to_state AS "to", from_state AS "from", at, value, summary FROM alert_history
  WHERE ($1::text IS NULL OR name = $1) AND at >= $2 ORDER BY at DESC, id DESC LIMIT $3`

const WRITE_STATE = `INSERT INTO alert_states (name, state, since, value, evaluated_at) VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (name) DO UPDATE SET state = excluded.state, since = excluded.since, value = excluded.value, evaluated_at = excluded.evaluated_at`

const APPEND = `INSERT INTO alert_history (name, severity, from_state, to_state, at, value, summary) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`

/** "genopa" (alerts) in ASCII: the advisory lock recordings take in turn. */
const ALERTS_LOCK = 0x67656e6f7061

export class PostgresAlertStore implements AlertStore {
  constructor(private readonly pool: pg.Pool) {}

  async operatorRules(): Promise<StoredRule[]> {
    const { rows } = await this.pool.query<{ name: string; rule: string; updatedAt: number }>(
      'SELECT name, rule, updated_at AS "updatedAt" FROM alert_rules ORDER BY name COLLATE "C"',
    )
    return rows.map((row) => ({ name: row.name, rule: parseJson(row.rule), updatedAt: row.updatedAt }))
  }

  async saveRule(name: string, rule: unknown, now: number): Promise<void> {
    await this.pool.query(
      'INSERT INTO alert_rules (name, rule, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at',
      [name, JSON.stringify(rule), now],
    )
  }

  async removeRule(name: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM alert_rules WHERE name = $1', [name])).rowCount ?? 0) > 0
  }

  async states(): Promise<StoredAlertState[]> {
    const { rows } = await this.pool.query<StoredAlertState>(
      'SELECT name, state, since, value, evaluated_at AS "evaluatedAt" FROM alert_states ORDER BY name COLLATE "C"',
    )
    return rows
  }

  record(states: readonly StoredAlertState[], transitions: readonly NewTransition[]): Promise<AlertTransition[]> {
    return inTransaction(this.pool, async (client) => {
      // Engines record one at a time, each reading what the one before committed: a firing another engine recorded
      // (and so announced) first is neither kept nor told again. Evaluations come every few seconds: the wait is nothing.
      await client.query('SELECT pg_advisory_xact_lock($1)', [ALERTS_LOCK])
      const { rows: storedRows } = await client.query<{ name: string; state: AlertState }>('SELECT name, state FROM alert_states')
      const stored = new Map(storedRows.map((row) => [row.name, row.state]))
      const fresh = transitions.filter((transition) => !alreadyRecorded(stored.get(transition.name), transition))
      // In name order, so two engines evaluating at once lock the states in one order.
      for (const state of [...states].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
        await client.query(WRITE_STATE, [state.name, state.state, state.since, state.value, state.evaluatedAt])
      // A rule that is gone (removed, or a default no longer shipped) has no state to show.
      await client.query('DELETE FROM alert_states WHERE name <> ALL($1::text[])', [states.map((state) => state.name)])
      const kept: AlertTransition[] = []
      for (const transition of fresh) {
        const { name, severity, from, to, at, value, summary } = transition
        const { rows } = await client.query<{ id: number }>(APPEND, [name, severity, from, to, at, value, summary])
        kept.push({ ...transition, id: rows[0]!.id })
      }
      return kept
    })
  }

  async history({ name, since, limit }: HistoryQuery): Promise<AlertTransition[]> {
    return (await this.pool.query<AlertTransition>(HISTORY_SQL, [name ?? null, since ?? 0, limit])).rows
  }

  async pruneHistory(before: number): Promise<number> {
    return (await this.pool.query('DELETE FROM alert_history WHERE at < $1', [before])).rowCount ?? 0
  }

  async usageSince(since: number, now: number): Promise<WindowUsage> {
    // The finest resolution that still holds the whole window: seconds for the last hour.
    const resolution = RESOLUTIONS.find((r) => keptFrom(r, now) <= since) ?? RESOLUTIONS.at(-1)!
    const width = RESOLUTION_MS[resolution]
    const { rows } = await this.pool.query<(number | null)[]>({ text: USAGE_SQL, values: [width, bucketStart(since, width), now + 1], rowMode: 'array' })
    const [attempts, failed, finished, ...latency] = rows[0]!.map((value) => value ?? 0)
    return { attempts: attempts!, failed: failed!, finished: finished!, latencyCounts: latency }
  }
}
