/**
 * How many due jobs a gate holds, for genops_queue_jobs{state="held"}, on PostgreSQL: the
 * SQLite store's held.ts explains the walk. The tracks with queued jobs are listed as the
 * gated claim lists them, split by the scheduler into held and free, and whichever side is
 * smaller is counted: each side a growing budget at a time, until one is done. Nothing held
 * reads nothing more.
 */
import type { Track } from '../../queue/store'
import { MAX_TRACKS, queuedTracks, trackOf, type TrackKey } from './tracks'
import type { Queryable } from './transaction'

/** Due jobs of these tracks, up to $5: the outer LIMIT stops the walk once the budget is reached. */
export const DUE_IN_TRACKS = `SELECT count(*) AS n FROM (SELECT 1 FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS t (p, m, b, i)
  CROSS JOIN LATERAL (SELECT 1 FROM jobs WHERE state = 'queued' AND lane = 'realtime'
    AND provider = t.p AND coalesce(model, '') = t.m AND coalesce(batch_id, 0) = t.b AND run_at <= $4 LIMIT $5) AS due
  LIMIT $5) AS counted`

/** The first budget of jobs counted on each side; each round counts eight times as many. */
const FIRST_BUDGET = 4096

/** `dueQueued`: the queued jobs that are due, from the maintained counts (queueStats' `queued`). */
export async function countHeldJobs(client: Queryable, isHeld: (track: Track) => boolean, now: number, dueQueued: number): Promise<number> {
  // One more than a claim looks at: whether the listed tracks are all there are.
  const listed = await queuedTracks(client, MAX_TRACKS + 1)
  const listedAll = listed.length <= MAX_TRACKS
  const held: TrackKey[] = []
  const free: TrackKey[] = []
  for (const key of listed.slice(0, MAX_TRACKS)) (isHeld(trackOf(key)) ? held : free).push(key)
  if (held.length === 0) return 0
  const upTo = async (side: TrackKey[], budget: number) => {
    const { rows } = await client.query<{ n: number }>(DUE_IN_TRACKS, [side.map((k) => k[0]), side.map((k) => k[1]), side.map((k) => k[2]), now, budget])
    return rows[0]!.n
  }
  // Past the tracks listed, the free side is not all known: count the held side's listed tracks.
  if (!listedAll) return upTo(held, Number.MAX_SAFE_INTEGER)
  for (let budget = FIRST_BUDGET; ; budget *= 8) {
    const heldDue = await upTo(held, budget)
    if (heldDue < budget) return heldDue
    const freeDue = await upTo(free, budget)
    if (freeDue < budget) return Math.max(0, dueQueued - freeDue)
  }
}

/** Due jobs a gate holds now, as `held` tells a track held (nothing is read while no gate holds anything). */
export async function countHeldBy(
  client: Queryable,
  gates: { holdingAny(now: number): boolean },
  dueQueued: number,
  held: (track: Track, now: number) => boolean,
): Promise<number> {
  const now = Date.now()
  return gates.holdingAny(now) ? countHeldJobs(client, (track) => held(track, now), now, dueQueued) : 0
}
