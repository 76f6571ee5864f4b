/**
 * The counts by state the dashboard reads, kept by the transactions that change states, and
 * the notice other engines hear (LISTEN/NOTIFY, change-feed.ts) when one commits.
 */
import type pg from 'pg'
import type { StoredState } from '../../../shared/jobs'
import type { CountDeltas } from '../sqlite/queue/rows'

/** Rows per state in job_counts (migration 0001): transactions on different shards never wait for each other there. */
export const COUNT_SHARDS = 16
export const CHANGE_CHANNEL = 'genops_queue'

/** What a committed change was, as the notice says it. */
export type ChangeKind = 'enqueued' | 'settled' | 'recovered' | 'changed' | 'removed'

/** The change's counts in the order every writer locks them (by state's name), on a random shard. */
export function countParams(deltas: CountDeltas): [states: StoredState[], deltas: number[], shard: number] {
  const entries = (Object.entries(deltas) as [StoredState, number][]).filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : 1))
  return [entries.map(([state]) => state), entries.map(([, n]) => n), Math.floor(Math.random() * COUNT_SHARDS)]
}

/**
 * Adds a change to the counters: `rows` is a query giving (state, n), `shard` the shard's
 * parameter. Rows are written in the states' order, as every writer does, so two changes on
 * one shard wait for each other at most, never deadlock.
 */
export function countsUpsert(rows: string, shard: string): string {
  return `INSERT INTO job_counts (state, shard, n) SELECT state, ${shard}, n FROM (${rows}) AS t(state, n) WHERE n <> 0 ORDER BY state
    ON CONFLICT (state, shard) DO UPDATE SET n = job_counts.n + excluded.n`
}

/** The notice's payload: which store sent it (its own are not news to it) and what changed. */
export function noticePayload(source: string, what: ChangeKind): string {
  return JSON.stringify({ from: source, what })
}

/** A write that rides along with the change's last statement: `cte` numbers its parameters from $6. */
export interface AlsoWrite {
  cte: string
  params: unknown[]
}

/**
 * The last statement of a change: its counts and its notice (and `also`), in one round trip.
 * The notice is delivered when the transaction commits, and never when it rolls back.
 */
export async function finishChange(client: pg.ClientBase, deltas: CountDeltas, source: string, what: ChangeKind, also?: AlsoWrite): Promise<void> {
  await client.query(
    `WITH ${also ? `also AS (${also.cte}), ` : ''}counted AS (${countsUpsert('SELECT * FROM unnest($1::text[], $2::bigint[])', '$3::smallint')})
    SELECT pg_notify($4, $5)`,
    [...countParams(deltas), CHANGE_CHANNEL, noticePayload(source, what), ...(also?.params ?? [])],
  )
}
