/**
 * How many due jobs a gate holds, for genops_queue_jobs{state="held"}. No count is kept by
 * track, so this walks the tracks that have queued jobs (one index seek each, as the gated
 * claim does), asks the scheduler which are held, and counts due jobs by ranges of
 * jobs_ready_by_track. The due jobs overall are known from the maintained counts, so the
 * held ones are either counted or what is left once the free ones are: both sides are
 * counted a growing budget at a time until one is done, and the cost follows the smaller
 * side. A provider that is down with a million jobs waiting costs next to nothing (its
 * tracks hold them all, the free side is empty); a million held beside a million free
 * costs a count of a million (about 60 ms on this machine). Nothing held reads nothing.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'
import type { Track } from '../../../queue/store'
import { NEXT_TRACK, queuedTracks } from './tracks'

// Priority by priority (as DELAYED_COUNT does) so that run_at is a range of the index, not a filter.
export const DUE_IN_TRACK = `SELECT count(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_ready_by_track
  WHERE state = 'queued' AND lane = 'realtime' AND provider = ? AND ifnull(model, '') = ? AND ifnull(batch_id, 0) = ? AND priority IN (0, 1, 2) AND run_at <= ? LIMIT ?)`

/** The first budget of jobs counted on each side; each round counts eight times as many. */
const FIRST_BUDGET = 4096

type TrackKey = [provider: string, model: string, batch: number]

/** `dueQueued`: the queued jobs that are due, from the maintained counts (queueStats' `queued`). */
export function countHeldJobs(db: Database, isHeld: (track: Track) => boolean, now: number, dueQueued: number): number {
  const tracks = queuedTracks(db)
  const held: TrackKey[] = []
  const free: TrackKey[] = []
  for (const key of tracks) (isHeld({ provider: key[0], model: key[1] === '' ? null : key[1], batchId: key[2] === 0 ? null : key[2] }) ? held : free).push(key)
  if (held.length === 0) return 0
  // Past the tracks listed (as many as a claim looks at), the free side is not all known: count the held side's listed tracks.
  const last = atTrack(tracks.at(-1)!)
  const listedAll = NEXT_TRACK.every((text) => sql(db, text).raw().get(last) === undefined)
  const count = sql(db, DUE_IN_TRACK).pluck()
  const upTo = (side: TrackKey[], budget: number) => {
    let n = 0
    for (const [provider, model, batch] of side) {
      n += count.get(provider, model, batch, now, budget - n) as number
      if (n >= budget) break
    }
    return n
  }
  if (!listedAll) return upTo(held, Number.MAX_SAFE_INTEGER)
  for (let budget = FIRST_BUDGET; ; budget *= 8) {
    const heldDue = upTo(held, budget)
    if (heldDue < budget) return heldDue
    const freeDue = upTo(free, budget)
    if (freeDue < budget) return Math.max(0, dueQueued - freeDue)
  }
}

const atTrack = ([p, m, b]: TrackKey) => ({ p, m, b })

/** Due jobs a gate holds now, as `held` tells a track held (nothing is read while no gate holds anything). */
export function countHeldBy(
  db: Database,
  gates: { holdingAny(now: number): boolean },
  dueQueued: number,
  held: (track: Track, now: number) => boolean,
): number {
  const now = Date.now()
  return gates.holdingAny(now) ? countHeldJobs(db, (track) => held(track, now), now, dueQueued) : 0
}
