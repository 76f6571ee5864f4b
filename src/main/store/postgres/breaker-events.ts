/**
 * Breaker transitions on PostgreSQL: every engine's own and operators' commands, in one log
 * each engine reads after the last id it saw (as SQLite's, sqlite/queue/resilience.ts), and
 * each breaker's attempts from the minute rollups, whoever ran them.
 */
import { RESOLUTION_MS } from '../../../shared/costs'
import type { BreakerEvent } from '../../queue/store'
import { bucketStart } from '../../telemetry/rollups'
import { countsByBreaker, EVENT_COLUMNS, toEvent, type EventRow } from '../sqlite/queue/resilience'
import type { Queryable } from './transaction'

/**
 * Run in a transaction. An identity is handed out before its transaction commits, so without
 * the lock a reader after id 4 could see 6 committed while 5 had not yet, and never read 5.
 * Writers take turns instead (breaker transitions are rare), so ids commit in order, as on SQLite.
 */
export async function recordBreakerEvent(client: Queryable, event: Omit<BreakerEvent, 'id'>): Promise<number> {
  await client.query('LOCK TABLE breaker_events IN SHARE ROW EXCLUSIVE MODE')
  const { rows } = await client.query<{ id: number }>(
    'INSERT INTO breaker_events (breaker, at, from_state, to_state, open_until, reason, owner) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
    [event.breaker, event.at, event.from, event.to, event.openUntil, event.reason, event.owner],
  )
  return rows[0]!.id
}

async function events(client: Queryable, text: string, values: unknown[]): Promise<BreakerEvent[]> {
  return (await client.query<EventRow>({ text, values, rowMode: 'array' })).rows.map(toEvent)
}

/** Breaker transitions written after `afterId`, oldest first, by every owner: operators' commands, and other engines' openings. */
export function breakerEventsAfter(client: Queryable, afterId: number): Promise<BreakerEvent[]> {
  return events(client, `SELECT ${EVENT_COLUMNS} FROM breaker_events WHERE id > $1 ORDER BY id`, [afterId])
}

export async function lastBreakerEventId(client: Queryable): Promise<number> {
  const { rows } = await client.query<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM breaker_events')
  return rows[0]!.id
}

/** The newest transitions of every breaker, newest first, `perBreaker` each: one range of breaker_events_by_breaker per breaker. */
export async function breakerHistory(client: Queryable, perBreaker: number): Promise<Map<string, BreakerEvent[]>> {
  const recent = await events(
    client,
    `SELECT e.* FROM (SELECT DISTINCT breaker FROM breaker_events) b
      CROSS JOIN LATERAL (SELECT ${EVENT_COLUMNS} FROM breaker_events WHERE breaker = b.breaker ORDER BY id DESC LIMIT $1) e
    ORDER BY e.breaker COLLATE "C", e.id DESC`,
    [perBreaker],
  )
  const history = new Map<string, BreakerEvent[]>()
  for (const event of recent) {
    const list = history.get(event.breaker)
    if (list) list.push(event)
    else history.set(event.breaker, [event])
  }
  return history
}

/** Each breaker's attempts since `since`, from the minute rollups: ok, and failed (retried or dead). */
export async function breakerCounts(client: Queryable, since: number): Promise<Map<string, { ok: number; failed: number }>> {
  const minute = RESOLUTION_MS['1m']
  const { rows } = await client.query<[string, string, number, number]>({
    text: `SELECT provider, model, sum(completed)::bigint, sum(failed + dead)::bigint FROM usage_rollups
    WHERE resolution = $1 AND bucket >= $2 AND provider <> '' GROUP BY provider, model`,
    values: [minute, bucketStart(since, minute)],
    rowMode: 'array',
  })
  return countsByBreaker(rows)
}
