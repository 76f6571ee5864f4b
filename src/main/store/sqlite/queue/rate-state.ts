/**
 * The rate state every process on this queue shares (migration 0014): each attempt started
 * against a provider with limits, the provider's newest rate-limit reading, and cooldowns.
 * A claim reads it and records its own starts in the same immediate transaction, so the
 * CLI's `run` beside `serve`, or an engine restarted mid-minute, obeys one limit: two
 * processes cannot both see the last free place.
 *
 * Why a log of starts rather than a token bucket (bottleneck, limiter): a bucket refills
 * continuously, so after a full burst it lets starts trickle in and one 60-second window can
 * hold up to twice the limit. Operators read "60 requests per minute" as "no minute holds
 * more than 60", which is what a log of starts keeps.
 */
import type { Database } from 'better-sqlite3'
import { QuotaReading } from '../../../../shared/ratelimit-headers'
import { sql } from '../db/connection'
import { quotaRoom, tokenBudget, UNANSWERED_EXPIRY_MS, type QuotaRoom } from '../../../resilience/provider-quota'
import type { ProviderRate, StartReport } from '../../../queue/store'

/** Starts are kept this long at least (longer when the rate window is longer): past it no window or quota counts them. */
const KEEP_MS = 10 * 60_000
/** The log is pruned at most this often, by a claim. */
const PRUNE_EVERY_MS = 10_000
const lastPrune = new WeakMap<Database, number>()

export function recordStart(db: Database, provider: string, jobId: number, at: number, estimate: number): number {
  return Number(
    sql(db, 'INSERT INTO provider_starts (provider, job_id, at, estimate, tokens) VALUES (?, ?, ?, ?, ?)').run(provider, jobId, at, estimate, estimate)
      .lastInsertRowid,
  )
}

/**
 * An attempt's answer: its real usage replaces the estimate in the rate windows, and the
 * reading it brought (when newer than the one kept) becomes the provider's. A claim handed
 * back before it ran frees its place.
 */
export function reportStart(db: Database, report: StartReport): void {
  if (report.freed) {
    sql(db, 'DELETE FROM provider_starts WHERE id = ?').run(report.id)
    return
  }
  const { reading } = report
  const provider = sql(db, 'UPDATE provider_starts SET answered_at = ?, tokens = ifnull(?, tokens) WHERE id = ? RETURNING provider')
    .pluck()
    .get(reading?.at ?? report.answeredAt, report.tokens, report.id) as string | undefined
  if (provider === undefined || !reading) return
  // Answers finish out of order: an older reading than the one kept says less.
  sql(
    db,
    `INSERT INTO provider_quotas (provider, sent_at, start_id, reading) VALUES (?, ?, ?, ?)
    ON CONFLICT (provider) DO UPDATE SET sent_at = excluded.sent_at, start_id = excluded.start_id, reading = excluded.reading
      WHERE excluded.sent_at > provider_quotas.sent_at`,
  ).run(provider, reading.sentAt, report.id, JSON.stringify(reading))
}

/** Cools a provider down until `until` (never shortens one already longer). */
export function coolDown(db: Database, provider: string, until: number): void {
  sql(
    db,
    `INSERT INTO provider_cooldowns (provider, until) VALUES (?, ?)
    ON CONFLICT (provider) DO UPDATE SET until = max(until, excluded.until)`,
  ).run(provider, until)
}

export function cooldowns(db: Database, now: number): Map<string, number> {
  return new Map(sql(db, 'SELECT provider, until FROM provider_cooldowns WHERE until > ?').raw().all(now) as [string, number][])
}

export function quotaReadingsExist(db: Database): boolean {
  return sql(db, 'SELECT EXISTS (SELECT 1 FROM provider_quotas)').pluck().get() === 1
}

/**
 * Every provider's rate window (starts since `now - windowMs`) and, where it sent a
 * reading, what its quota has room for now. Prunes the log now and then.
 */
export function providerRates(db: Database, now: number, windowMs: number): Map<string, ProviderRate> {
  if (now - (lastPrune.get(db) ?? 0) >= PRUNE_EVERY_MS) {
    lastPrune.set(db, now)
    const before = now - Math.max(KEEP_MS, windowMs)
    sql(db, 'DELETE FROM provider_starts WHERE at < @before AND ifnull(answered_at, 0) < @before').run({ before })
  }
  const rates = new Map<string, ProviderRate>()
  const window = sql(
    db,
    'SELECT provider, count(*), sum(tokens), min(at) FROM provider_starts INDEXED BY provider_starts_by_time WHERE at > ? GROUP BY provider',
  )
  for (const [provider, requests, tokens, oldestAt] of window.raw().all(now - windowMs) as [string, number, number, number][])
    rates.set(provider, { requests, tokens, oldestAt })
  for (const [provider, text, startId] of sql(db, 'SELECT provider, reading, start_id FROM provider_quotas').raw().all() as [string, string, number][]) {
    // Checked as it is read back: a reading that does not parse (a damaged row) says nothing, rather than stopping every claim.
    const parsed = QuotaReading.safeParse(JSON.parse(text))
    if (!parsed.success) continue
    const reading = parsed.data
    const rate = rates.get(provider) ?? { requests: 0, tokens: 0, oldestAt: null }
    rates.set(provider, { ...rate, quota: { reading, room: roomOf(db, provider, reading, startId, now) } })
  }
  return rates
}

/**
 * What one reading leaves now. An attempt counts against a budget when the reading may not
 * include it: still running (until it is presumed lost), or answered after the reading's
 * request went out (a reading counts every request answered before it was sent) and not by
 * this very reading. After the budget's reset the whole limit is back, less what was
 * answered since the reset or still runs. Counted twice at worst, never not at all.
 */
const SPENT = `SELECT
    ifnull(sum(CASE WHEN answered_at IS NULL THEN at > @expired ELSE answered_at >= @rSince AND (@rReset OR id <> @readingStart) END), 0),
    ifnull(sum(estimate * CASE WHEN answered_at IS NULL THEN at > @expired ELSE answered_at >= @tSince AND (@tReset OR id <> @readingStart) END), 0)
  FROM provider_starts INDEXED BY provider_starts_answered
  WHERE provider = @provider AND (answered_at IS NULL OR answered_at >= @since)`

function roomOf(db: Database, provider: string, reading: QuotaReading, readingStart: number, now: number): QuotaRoom {
  const sinceOf = (resetAt: number | undefined) =>
    resetAt !== undefined && now >= resetAt ? { since: resetAt, reset: 1 } : { since: reading.sentAt, reset: 0 }
  const r = sinceOf(reading.requests?.resetAt)
  const t = sinceOf(tokenBudget(reading)?.resetAt)
  const [requests, tokens] = sql(db, SPENT)
    .raw()
    .get({
      provider,
      expired: now - UNANSWERED_EXPIRY_MS,
      readingStart,
      rSince: r.since,
      rReset: r.reset,
      tSince: t.since,
      tReset: t.reset,
      since: Math.min(r.since, t.since),
    }) as [number, number]
  return quotaRoom(reading, { requests, tokens }, now)
}
