/**
 * The rate state every engine on this queue shares, on PostgreSQL: each attempt started
 * against a provider with limits, the provider's newest rate-limit reading, and cooldowns
 * (the SQLite store's rate-state.ts explains why a log of starts rather than a bucket).
 * A gated claim reads it and records its own starts in one transaction, holding the claim
 * lock (claim.ts), so two engines cannot both see the last free place in a window.
 */
import { QuotaReading } from '../../../shared/ratelimit-headers'
import { quotaRoom, tokenBudget, UNANSWERED_EXPIRY_MS, type QuotaRoom } from '../../resilience/provider-quota'
import type { ProviderRate, StartReport } from '../../queue/store'
import type { Queryable } from './transaction'

/** Starts are kept this long at least (longer when the rate window is longer): past it no window or quota counts them. */
const KEEP_MS = 10 * 60_000
/** The log is pruned at most this often, by a claim of this process. */
const PRUNE_EVERY_MS = 10_000
let lastPrune = 0

export async function recordStart(client: Queryable, provider: string, jobId: number, at: number, estimate: number): Promise<number> {
  return (await recordStarts(client, at, [{ provider, jobId, estimate }])).get(jobId)!
}

/** A claim's starts in one statement; answers each start's id by its job. */
export async function recordStarts(
  client: Queryable,
  at: number,
  starts: readonly { provider: string; jobId: number; estimate: number }[],
): Promise<Map<number, number>> {
  if (starts.length === 0) return new Map()
  const { rows } = await client.query<{ id: number; job_id: number }>(
    `INSERT INTO provider_starts (provider, job_id, at, estimate, tokens)
    SELECT provider, job_id, $1, estimate, estimate FROM unnest($2::text[], $3::bigint[], $4::integer[]) AS s (provider, job_id, estimate)
    RETURNING id, job_id`,
    [at, starts.map((s) => s.provider), starts.map((s) => s.jobId), starts.map((s) => s.estimate)],
  )
  return new Map(rows.map((row) => [row.job_id, row.id]))
}

type Answer = Extract<StartReport, { freed?: false }>

/**
 * Attempts' answers, in the settle's transaction: real usage replaces the estimate in the
 * rate windows, and the newest reading each provider sent becomes its own (answers finish
 * out of order: an older reading than the one kept says less). A claim handed back before
 * it ran frees its place.
 */
export async function reportStarts(client: Queryable, reports: readonly StartReport[]): Promise<void> {
  const freed = reports.filter((report) => report.freed).map((report) => report.id)
  const answers = reports.filter((report): report is Answer => !report.freed).sort((a, b) => a.id - b.id)
  if (freed.length > 0) await client.query('DELETE FROM provider_starts WHERE id = ANY($1::bigint[])', [freed])
  if (answers.length === 0) return
  const { rows } = await client.query<{ id: number; provider: string }>(
    `UPDATE provider_starts s SET answered_at = a.answered_at, tokens = coalesce(a.tokens, s.tokens)
    FROM unnest($1::bigint[], $2::bigint[], $3::integer[]) AS a(id, answered_at, tokens)
    WHERE s.id = a.id RETURNING s.id, s.provider`,
    [answers.map((a) => a.id), answers.map((a) => a.reading?.at ?? a.answeredAt), answers.map((a) => a.tokens)],
  )
  const providerOf = new Map(rows.map((row) => [row.id, row.provider]))
  // One row per provider in one statement (ON CONFLICT cannot touch a row twice): the newest reading, the first on a tie, as one by one would keep.
  const newest = new Map<string, { id: number; reading: QuotaReading }>()
  for (const { id, reading } of answers) {
    const provider = providerOf.get(id)
    if (provider === undefined || !reading) continue
    const kept = newest.get(provider)
    if (!kept || reading.sentAt > kept.reading.sentAt) newest.set(provider, { id, reading })
  }
  if (newest.size === 0) return
  const quotas = [...newest].sort(([a], [b]) => (a < b ? -1 : 1))
  await client.query(
    `INSERT INTO provider_quotas (provider, sent_at, start_id, reading)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) ORDER BY 1
    ON CONFLICT (provider) DO UPDATE SET sent_at = excluded.sent_at, start_id = excluded.start_id, reading = excluded.reading
      WHERE excluded.sent_at > provider_quotas.sent_at`,
    [
      quotas.map(([provider]) => provider),
      quotas.map(([, q]) => q.reading.sentAt),
      quotas.map(([, q]) => q.id),
      quotas.map(([, q]) => JSON.stringify(q.reading)),
    ],
  )
}

/** Cools a provider down until `until` (never shortens one already longer). */
export async function coolDown(client: Queryable, provider: string, until: number): Promise<void> {
  await client.query(
    `INSERT INTO provider_cooldowns (provider, until) VALUES ($1, $2)
    ON CONFLICT (provider) DO UPDATE SET until = greatest(provider_cooldowns.until, excluded.until)`,
    [provider, until],
  )
}

export async function cooldowns(client: Queryable, now: number): Promise<Map<string, number>> {
  const { rows } = await client.query<{ provider: string; until: number }>('SELECT provider, until FROM provider_cooldowns WHERE until > $1', [now])
  return new Map(rows.map((row) => [row.provider, row.until]))
}

export async function quotaReadingsExist(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM provider_quotas) AS found')
  return rows[0]!.found
}

/**
 * Every provider's rate window (starts since `now - windowMs`) and, where it sent a
 * reading, what its quota has room for now. Prunes the log now and then.
 */
export async function providerRates(client: Queryable, now: number, windowMs: number): Promise<Map<string, ProviderRate>> {
  if (now - lastPrune >= PRUNE_EVERY_MS) {
    lastPrune = now
    const before = now - Math.max(KEEP_MS, windowMs)
    // Rows a settle is answering are skipped, not waited for: the next prune takes them.
    await client.query(
      `DELETE FROM provider_starts WHERE id IN (
        SELECT id FROM provider_starts WHERE at < $1 AND coalesce(answered_at, 0) < $1 ORDER BY id FOR UPDATE SKIP LOCKED)`,
      [before],
    )
  }
  const rates = new Map<string, ProviderRate>()
  const window = await client.query<{ provider: string; requests: number; tokens: number; oldest_at: number }>(
    'SELECT provider, count(*) AS requests, sum(tokens) AS tokens, min(at) AS oldest_at FROM provider_starts WHERE at > $1 GROUP BY provider',
    [now - windowMs],
  )
  for (const row of window.rows) rates.set(row.provider, { requests: row.requests, tokens: row.tokens, oldestAt: row.oldest_at })
  const quotas = await client.query<{ provider: string; reading: string; start_id: number }>('SELECT provider, reading, start_id FROM provider_quotas')
  for (const row of quotas.rows) {
    // Checked as it is read back: a reading that does not parse (a damaged row) says nothing, rather than stopping every claim.
    const parsed = QuotaReading.safeParse(JSON.parse(row.reading))
    if (!parsed.success) continue
    const reading = parsed.data
    const rate = rates.get(row.provider) ?? { requests: 0, tokens: 0, oldestAt: null }
    rates.set(row.provider, { ...rate, quota: { reading, room: await roomOf(client, row.provider, reading, row.start_id, now) } })
  }
  return rates
}

/** What one reading leaves now: the SQLite store's roomOf explains which attempts count against it. */
const SPENT = `SELECT
    coalesce(sum(CASE WHEN answered_at IS NULL THEN (at > $2)::int ELSE (answered_at >= $4 AND ($5 OR id <> $3))::int END), 0) AS requests,
    coalesce(sum(estimate * CASE WHEN answered_at IS NULL THEN (at > $2)::int ELSE (answered_at >= $6 AND ($7 OR id <> $3))::int END), 0) AS tokens
  FROM provider_starts
  WHERE provider = $1 AND (answered_at IS NULL OR answered_at >= $8)`

async function roomOf(client: Queryable, provider: string, reading: QuotaReading, readingStart: number, now: number): Promise<QuotaRoom> {
  const sinceOf = (resetAt: number | undefined) =>
    resetAt !== undefined && now >= resetAt ? { since: resetAt, reset: true } : { since: reading.sentAt, reset: false }
  const r = sinceOf(reading.requests?.resetAt)
  const t = sinceOf(tokenBudget(reading)?.resetAt)
  const { rows } = await client.query<{ requests: number; tokens: number }>(SPENT, [
    provider,
    now - UNANSWERED_EXPIRY_MS,
    readingStart,
    r.since,
    r.reset,
    t.since,
    t.reset,
    Math.min(r.since, t.since),
  ])
  return quotaRoom(reading, { requests: rows[0]!.requests, tokens: rows[0]!.tokens }, now)
}
