/**
 * The gated claim's choice on PostgreSQL: which queued jobs to take when something holds
 * work back (the SQLite store's tracks.ts, whose walk this keeps). The tracks with queued
 * jobs (provider, model, batch) are found by one recursive statement that seeks from each
 * track to the next in jobs_ready_by_track, so a held track with a hundred thousand jobs
 * costs one seek; the heads of every track the gate lets through are read in one statement;
 * candidates are admitted in priority order across tracks until the claim is full.
 */
import type { Candidate, ClaimFacts, Route, Track, TrackGate } from '../../queue/store'
import { sentPromptChars } from '../sqlite/queue/tracks'
import { pausedAmong } from './batch-pauses'
import { budgetRooms } from './costs/budgets'
import { cooldowns, providerRates } from './rate-state'
import type { Queryable } from './transaction'

/** A track as the index folds it: no model is '', no batch is 0. */
export type TrackKey = [provider: string, model: string, batch: number]

/** Most tracks looked at in one claim: beyond this many, the rest wait for the next turn. */
export const MAX_TRACKS = 1000

const TRACK_OF = `provider, coalesce(model, ''), coalesce(batch_id, 0)`
const QUEUED = `state = 'queued' AND lane = 'realtime'`

/** Up to $1 tracks in the index's order, each found by a seek past the one before (a loose index scan). */
export const QUEUED_TRACKS = `WITH RECURSIVE track (p, m, b, n) AS (
    (SELECT ${TRACK_OF}, 1 FROM jobs WHERE ${QUEUED} ORDER BY 1, 2, 3 LIMIT 1)
    UNION ALL
    SELECT next.p, next.m, next.b, track.n + 1 FROM track CROSS JOIN LATERAL (
      SELECT ${TRACK_OF} FROM jobs WHERE ${QUEUED} AND (${TRACK_OF}) > (track.p, track.m, track.b) ORDER BY 1, 2, 3 LIMIT 1
    ) AS next (p, m, b) WHERE track.n < $1)
  SELECT p, m, b FROM track`

export async function queuedTracks(client: Queryable, max = MAX_TRACKS): Promise<TrackKey[]> {
  const { rows } = await client.query<{ p: string; m: string; b: number }>(QUEUED_TRACKS, [max])
  return rows.map((row) => [row.p, row.m, row.b])
}

export const trackOf = ([provider, model, batch]: TrackKey): Track => ({ provider, model: model === '' ? null : model, batchId: batch === 0 ? null : batch })

export async function claimFacts(client: Queryable, batchIds: number[], now: number, windowMs: number, budgets: boolean): Promise<ClaimFacts> {
  const activeByProvider = new Map<string, number>()
  const activeByBatch = new Map<number, number>()
  const active = await client.query<{ provider: string; batch_id: number | null; n: number }>(
    `SELECT provider, batch_id, count(*) AS n FROM jobs WHERE state = 'active' GROUP BY provider, batch_id`,
  )
  for (const { provider, batch_id: batchId, n } of active.rows) {
    activeByProvider.set(provider, (activeByProvider.get(provider) ?? 0) + n)
    if (batchId !== null) activeByBatch.set(batchId, (activeByBatch.get(batchId) ?? 0) + n)
  }
  const caps = await client.query<{ id: number; max_concurrency: number }>(
    'SELECT id, max_concurrency FROM batches WHERE max_concurrency IS NOT NULL AND id = ANY($1::bigint[])',
    [batchIds],
  )
  return {
    activeByProvider,
    activeByBatch,
    batchCaps: new Map(caps.rows.map((row) => [row.id, row.max_concurrency])),
    pausedBatches: await pausedAmong(client, batchIds),
    rates: await providerRates(client, now, windowMs),
    cooldowns: await cooldowns(client, now),
    budgets: budgets ? await budgetRooms(client, now) : [],
  }
}

/** The first `n` due jobs of each track, by priority, then the longest due, with what the gate weighs of each. */
export const TRACK_HEADS = `SELECT t.i, h.* FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[]) WITH ORDINALITY AS t (p, m, b, n, i)
  CROSS JOIN LATERAL (
    SELECT id, priority, run_at, length(prompt) AS length, config -> 'maxTokens' AS max_tokens,
      CASE WHEN strpos(prompt, '{{') > 0 THEN prompt END AS template,
      CASE WHEN jsonb_typeof(config -> 'vars') = 'object' THEN config -> 'vars' END AS vars
    FROM jobs WHERE ${QUEUED} AND provider = t.p AND coalesce(model, '') = t.m AND coalesce(batch_id, 0) = t.b AND run_at <= $5
    ORDER BY priority, run_at, id LIMIT t.n) AS h`

interface HeadRow {
  i: number
  id: number
  priority: number
  run_at: number
  length: number
  max_tokens: unknown
  template: string | null
  vars: Record<string, unknown> | null
}

/** The ids to claim, in priority order across tracks, as the gate admits them, with the fallback each was sent to (null: its own track). */
export async function pickJobs(
  client: Queryable,
  gateFor: (facts: ClaimFacts) => TrackGate,
  limit: number,
  now: number,
  { windowMs, budgets }: { windowMs: number; budgets: boolean },
): Promise<Map<number, Route | null>> {
  const picked = new Map<number, Route | null>()
  // A batch still loading is out of sight: its tracks are not claimed from.
  const loading = await client.query<{ id: number }>('SELECT id FROM batches WHERE loading_owner IS NOT NULL')
  const loadingIds = new Set(loading.rows.map((row) => row.id))
  const tracks = (await queuedTracks(client)).filter(([, , batch]) => !loadingIds.has(batch))
  if (tracks.length === 0) return picked
  const gate = gateFor(await claimFacts(client, [...new Set(tracks.map(([, , batch]) => batch).filter((batch) => batch !== 0))], now, windowMs, budgets))
  const allowed: { key: TrackKey; track: Track; allowance: number }[] = []
  for (const key of tracks) {
    const track = trackOf(key)
    const allowance = Math.min(limit, gate.allowance(track))
    if (allowance > 0) allowed.push({ key, track, allowance })
  }
  if (allowed.length === 0) return picked
  const { rows } = await client.query<HeadRow>(TRACK_HEADS, [
    allowed.map(({ key }) => key[0]),
    allowed.map(({ key }) => key[1]),
    allowed.map(({ key }) => key[2]),
    allowed.map(({ allowance }) => allowance),
    now,
  ])
  const candidates: Candidate[] = rows.map((row) => ({
    ...allowed[row.i - 1]!.track,
    id: row.id,
    priority: row.priority,
    runAt: row.run_at,
    promptChars: row.template === null || row.vars === null ? row.length : sentPromptChars(row.template, row.vars),
    maxTokens: typeof row.max_tokens === 'number' && row.max_tokens > 0 ? row.max_tokens : null,
  }))
  candidates.sort((a, b) => a.priority - b.priority || a.runAt - b.runAt || a.id - b.id)
  for (const candidate of candidates) {
    if (picked.size >= limit) break
    const admitted = gate.admit(candidate)
    if (admitted !== false) picked.set(candidate.id, admitted === true ? null : admitted)
  }
  return picked
}
