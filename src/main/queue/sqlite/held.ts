/**
 * How many due jobs a gate holds, for genops_queue_jobs{state="held"}. No count is kept by
 * lane, so this walks the lanes that have queued jobs (one index seek each, as the gated
 * claim does), asks the scheduler which are held, and counts due jobs by ranges of
 * jobs_ready_by_lane. The due jobs overall are known from the maintained counts, so the
 * held ones are either counted or what is left once the free ones are: both sides are
 * counted a growing budget at a time until one is done, and the cost follows the smaller
 * side. A provider that is down with a million jobs waiting costs next to nothing (its
 * lanes hold them all, the free side is empty); a million held beside a million free
 * costs a count of a million (about 60 ms on this machine). Nothing held reads nothing.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../../db/connection'
import type { Lane } from '../store'
import { NEXT_LANE, queuedLanes } from './lanes'

// Priority by priority (as DELAYED_COUNT does) so that run_at is a range of the index, not a filter.
export const DUE_IN_LANE = `SELECT count(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_ready_by_lane
  WHERE state = 'queued' AND provider = ? AND ifnull(model, '') = ? AND ifnull(batch_id, 0) = ? AND priority IN (0, 1, 2) AND run_at <= ? LIMIT ?)`

/** The first budget of jobs counted on each side; each round counts eight times as many. */
const FIRST_BUDGET = 4096

type LaneKey = [provider: string, model: string, batch: number]

/** `dueQueued`: the queued jobs that are due, from the maintained counts (queueStats' `queued`). */
export function countHeldJobs(db: Database, isHeld: (lane: Lane) => boolean, now: number, dueQueued: number): number {
  const lanes = queuedLanes(db)
  const held: LaneKey[] = []
  const free: LaneKey[] = []
  for (const key of lanes) (isHeld({ provider: key[0], model: key[1] === '' ? null : key[1], batchId: key[2] === 0 ? null : key[2] }) ? held : free).push(key)
  if (held.length === 0) return 0
  // Past the lanes listed (as many as a claim looks at), the free side is not all known: count the held side's listed lanes.
  const last = atLane(lanes.at(-1)!)
  const listedAll = NEXT_LANE.every((text) => sql(db, text).raw().get(last) === undefined)
  const count = sql(db, DUE_IN_LANE).pluck()
  const upTo = (side: LaneKey[], budget: number) => {
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

const atLane = ([p, m, b]: LaneKey) => ({ p, m, b })

/** Due jobs a gate holds now, as `held` tells a lane held (nothing is read while no gate holds anything). */
export function countHeldBy(
  db: Database,
  gates: { holdingAny(now: number): boolean },
  dueQueued: number,
  held: (lane: Lane, now: number) => boolean,
): number {
  const now = Date.now()
  return gates.holdingAny(now) ? countHeldJobs(db, (lane) => held(lane, now), now, dueQueued) : 0
}
