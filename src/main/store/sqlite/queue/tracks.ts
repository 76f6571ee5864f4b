/**
 * The gated claim: which queued jobs to take when something holds work back. It walks the
 * tracks that have queued jobs (provider, model, batch) by seeking from one track to the
 * next in jobs_ready_by_track, so a held track with a hundred thousand jobs costs one seek;
 * reads the head of each track the gate lets through; and admits candidates in priority
 * order across tracks until the claim is full or the budgets run out.
 */
import type { Database } from 'better-sqlite3'
import { fillVariables } from '../../../../shared/job-config'
import { sql } from '../db/connection'
import type { Candidate, ClaimFacts, Track, TrackGate, Route } from '../../../queue/store'
import { pausedAmong } from './batch-pauses'
import { budgetRooms } from '../costs/budgets'
import { cooldowns, providerRates } from './rate-state'
import { isRecord } from './rows'

type TrackKey = [provider: string, model: string, batch: number]

// NULL model and batch are folded to '' and 0, as in the index, so the seeks compare values.
const TRACK = `SELECT provider, ifnull(model, ''), ifnull(batch_id, 0) FROM jobs INDEXED BY jobs_ready_by_track WHERE state = 'queued' AND lane = 'realtime' AND`
/** The next track after (p, m, b): the same provider and model, then the same provider, then the next provider. */
export const NEXT_TRACK = [
  `${TRACK} provider = @p AND ifnull(model, '') = @m AND ifnull(batch_id, 0) > @b ORDER BY 3 LIMIT 1`,
  `${TRACK} provider = @p AND ifnull(model, '') > @m ORDER BY 2, 3 LIMIT 1`,
  `${TRACK} provider > @p ORDER BY 1, 2, 3 LIMIT 1`,
]

// A config that is not JSON reads as none here (json_extract would fail the whole claim): the claim quarantines its job.
export const TRACK_HEAD = `SELECT id, priority, run_at, length(prompt), CASE WHEN json_valid(config) THEN json_extract(config, '$.maxTokens') END,
    CASE WHEN instr(prompt, '{{') > 0 THEN prompt END,
    CASE WHEN json_valid(config) THEN CASE json_type(config, '$.vars') WHEN 'object' THEN json_extract(config, '$.vars') END END
  FROM jobs INDEXED BY jobs_ready_by_track
  WHERE state = 'queued' AND lane = 'realtime' AND provider = ? AND ifnull(model, '') = ? AND ifnull(batch_id, 0) = ? AND run_at <= ?
  ORDER BY priority, run_at, id LIMIT ?`

/** Most tracks looked at in one claim: beyond this many, the rest wait for the next turn. */
const MAX_TRACKS = 1000

export function queuedTracks(db: Database): TrackKey[] {
  const seeks = NEXT_TRACK.map((text) => sql(db, text).raw())
  const tracks: TrackKey[] = []
  let at = { p: '', m: '', b: -1 }
  next: while (tracks.length < MAX_TRACKS) {
    for (const seek of seeks) {
      const track = seek.get(at) as TrackKey | undefined
      if (track) {
        tracks.push(track)
        at = { p: track[0], m: track[1], b: track[2] }
        continue next
      }
    }
    break
  }
  return tracks
}

export function claimFacts(db: Database, batchIds: number[], now: number, windowMs: number, budgets: boolean): ClaimFacts {
  const activeByProvider = new Map<string, number>()
  const activeByBatch = new Map<number, number>()
  const active = sql(db, `SELECT provider, batch_id, count(*) FROM jobs INDEXED BY jobs_by_state WHERE state = 'active' GROUP BY provider, batch_id`)
    .raw()
    .all() as [string, number | null, number][]
  for (const [provider, batchId, n] of active) {
    activeByProvider.set(provider, (activeByProvider.get(provider) ?? 0) + n)
    if (batchId !== null) activeByBatch.set(batchId, (activeByBatch.get(batchId) ?? 0) + n)
  }
  const caps = sql(db, `SELECT id, max_concurrency FROM batches WHERE max_concurrency IS NOT NULL AND id IN (SELECT value FROM json_each(?))`)
    .raw()
    .all(JSON.stringify(batchIds)) as [number, number][]
  return {
    activeByProvider,
    activeByBatch,
    batchCaps: new Map(caps),
    pausedBatches: pausedAmong(db, batchIds),
    rates: providerRates(db, now, windowMs),
    cooldowns: cooldowns(db, now),
    budgets: budgets ? budgetRooms(db, now) : [],
  }
}

/** A prompt's length as it is sent, its `{{variables}}` filled in: what rate windows and budgets weigh, not the template's. */
export function sentPromptChars(prompt: string, vars: unknown): number {
  return isRecord(vars) ? fillVariables(prompt, vars).length : prompt.length
}

/** The ids to claim, in priority order across tracks, as the gate admits them, with the fallback each was sent to (null: its own track). */
export function pickJobs(
  db: Database,
  gateFor: (facts: ClaimFacts) => TrackGate,
  limit: number,
  now: number,
  { windowMs, budgets }: { windowMs: number; budgets: boolean },
): Map<number, Route | null> {
  const picked = new Map<number, Route | null>()
  // A batch still loading (load.ts) is out of sight: its tracks are not claimed from.
  const loading = new Set(sql(db, 'SELECT id FROM batches WHERE loading_owner IS NOT NULL').pluck().all() as number[])
  const tracks = queuedTracks(db).filter(([, , batch]) => !loading.has(batch))
  if (tracks.length === 0) return picked
  const gate = gateFor(claimFacts(db, [...new Set(tracks.map(([, , batch]) => batch).filter((batch) => batch !== 0))], now, windowMs, budgets))
  const head = sql(db, TRACK_HEAD).raw()
  const candidates: Candidate[] = []
  for (const [provider, modelKey, batchKey] of tracks) {
    const track: Track = { provider, model: modelKey === '' ? null : modelKey, batchId: batchKey === 0 ? null : batchKey }
    const allowance = Math.min(limit, gate.allowance(track))
    if (allowance <= 0) continue
    for (const [id, priority, runAt, length, maxTokens, template, vars] of head.all(provider, modelKey, batchKey, now, allowance) as [
      number,
      number,
      number,
      number,
      unknown,
      string | null,
      string | null,
    ][]) {
      const promptChars = template === null || vars === null ? length : sentPromptChars(template, JSON.parse(vars))
      candidates.push({ ...track, id, priority, runAt, promptChars, maxTokens: typeof maxTokens === 'number' && maxTokens > 0 ? maxTokens : null })
    }
  }
  candidates.sort((a, b) => a.priority - b.priority || a.runAt - b.runAt || a.id - b.id)
  for (const candidate of candidates) {
    if (picked.size >= limit) break
    const admitted = gate.admit(candidate)
    if (admitted !== false) picked.set(candidate.id, admitted === true ? null : admitted)
  }
  return picked
}
