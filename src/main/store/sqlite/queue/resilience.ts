/**
 * What the resilience layer keeps on disk: paused providers, breaker transitions (also the
 * way an operator's command reaches a running engine from another process) and batch caps.
 */
import type { Database } from 'better-sqlite3'
import { breakerName, type BreakerState, type ProviderPause } from '../../../../shared/resilience'
import { sql } from '../db/connection'
import { RESOLUTION_MS } from '../../../../shared/costs'
import { bucketStart } from '../../../telemetry/rollups'
import type { BreakerEvent } from '../../../queue/store'

/** The owner of a breaker event written by an operator's command rather than by an engine. */
export const OPERATOR = 'operator'

export function providerPauses(db: Database): ProviderPause[] {
  return (sql(db, 'SELECT provider, reason, paused_at FROM provider_pauses ORDER BY provider').raw().all() as [string, string, number][]).map(
    ([provider, reason, pausedAt]) => ({ provider, reason, pausedAt }),
  )
}

export function pauseProvider(db: Database, provider: string, reason: string, now: number): void {
  sql(
    db,
    `INSERT INTO provider_pauses (provider, reason, paused_at) VALUES (?, ?, ?)
    ON CONFLICT (provider) DO UPDATE SET reason = excluded.reason, paused_at = excluded.paused_at`,
  ).run(provider, reason, now)
}

export function resumeProvider(db: Database, provider: string): boolean {
  return sql(db, 'DELETE FROM provider_pauses WHERE provider = ?').run(provider).changes > 0
}

export function recordBreakerEvent(db: Database, event: Omit<BreakerEvent, 'id'>): number {
  return Number(
    sql(db, 'INSERT INTO breaker_events (breaker, at, from_state, to_state, open_until, reason, owner) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      event.breaker,
      event.at,
      event.from,
      event.to,
      event.openUntil,
      event.reason,
      event.owner,
    ).lastInsertRowid,
  )
}

export type EventRow = [number, string, number, string, BreakerState, number | null, string | null, string]
export const EVENT_COLUMNS = 'id, breaker, at, from_state, to_state, open_until, reason, owner'
export const toEvent = ([id, breaker, at, from, to, openUntil, reason, owner]: EventRow): BreakerEvent => ({
  id,
  breaker,
  at,
  from,
  to,
  openUntil,
  reason,
  owner,
})

/** Breaker transitions written after `afterId`, oldest first, by every owner: operators' commands, and other engines' openings. */
export function breakerEventsAfter(db: Database, afterId: number): BreakerEvent[] {
  return (sql(db, `SELECT ${EVENT_COLUMNS} FROM breaker_events WHERE id > ? ORDER BY id`).raw().all(afterId) as EventRow[]).map(toEvent)
}

export function lastBreakerEventId(db: Database): number {
  return (sql(db, 'SELECT ifnull(max(id), 0) FROM breaker_events').pluck().get() as number) ?? 0
}

/** The newest transitions of every breaker, newest first, `perBreaker` each. */
export function breakerHistory(db: Database, perBreaker: number): Map<string, BreakerEvent[]> {
  const names = sql(db, 'SELECT DISTINCT breaker FROM breaker_events').pluck().all() as string[]
  const recent = sql(db, `SELECT ${EVENT_COLUMNS} FROM breaker_events INDEXED BY breaker_events_by_breaker WHERE breaker = ? ORDER BY id DESC LIMIT ?`).raw()
  return new Map(names.map((name) => [name, (recent.all(name, perBreaker) as EventRow[]).map(toEvent)]))
}

export function setBatchLimit(db: Database, batchId: number, maxConcurrency: number | null): boolean {
  return sql(db, 'UPDATE batches SET max_concurrency = ? WHERE id = ?').run(maxConcurrency, batchId).changes > 0
}

export function batchCapsExist(db: Database): boolean {
  return sql(db, 'SELECT EXISTS (SELECT 1 FROM batches WHERE max_concurrency IS NOT NULL)').pluck().get() === 1
}

/**
 * Each breaker's attempts since `since`, from the minute rollups (whoever ran them): ok, and
 * failed (retried or dead). By the provider as jobs name it and the model that ran, as the
 * breakers are named.
 */
export function breakerCounts(db: Database, since: number): Map<string, { ok: number; failed: number }> {
  const minute = RESOLUTION_MS['1m']
  const rows = sql(
    db,
    `SELECT provider, model, sum(completed), sum(failed + dead) FROM usage_rollups
    WHERE resolution = ${minute} AND bucket >= ? AND provider <> '' GROUP BY provider, model`,
  )
    .raw()
    .all(bucketStart(since, minute)) as [string, string, number, number][]
  return countsByBreaker(rows)
}

/** Rollup sums by provider and model ('' when none) as the breakers are named (every store adds them up so). */
export function countsByBreaker(rows: readonly [string, string, number, number][]): Map<string, { ok: number; failed: number }> {
  const counts = new Map<string, { ok: number; failed: number }>()
  for (const [provider, model, ok, failed] of rows) {
    const name = breakerName(provider, model === '' ? null : model)
    const known = counts.get(name) ?? { ok: 0, failed: 0 }
    counts.set(name, { ok: known.ok + ok, failed: known.failed + failed })
  }
  return counts
}
