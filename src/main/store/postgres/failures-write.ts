/**
 * Failure groups on PostgreSQL: every failed attempt (and stall) is counted into its group in
 * the transaction that records it, as the SQLite store's queue/failures.ts does, one row a
 * group a settle. A group's row is locked before its samples are read, so two engines adding
 * to a known group keep each other's sample jobs (two making a new group at once both count,
 * and the later one's samples stay).
 */
import type pg from 'pg'
import { fingerprint } from '../../failures/fingerprint'
import { isIdArray, keptSamples } from '../../failures/samples'
import { parseJsonColumn } from '../sqlite/queue/rows'
import { columnsOf } from './columns'

/** A failed attempt as its group counts it. */
export interface Failure {
  jobId: number
  category: string
  message: string
  at: number
}

interface Group {
  fingerprint: string
  category: string
  pattern: string
  count: number
  firstSeen: number
  lastSeen: number
  jobIds: number[]
}

const UPSERT = `INSERT INTO failure_groups (fingerprint, category, pattern, count, first_seen, last_seen, sample_job_ids)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[]) ORDER BY 1
  ON CONFLICT (fingerprint) DO UPDATE SET count = failure_groups.count + excluded.count,
    first_seen = least(failure_groups.first_seen, excluded.first_seen), last_seen = greatest(failure_groups.last_seen, excluded.last_seen),
    sample_job_ids = excluded.sample_job_ids`

/** Counts failed attempts into their groups, in the order given; call inside the transaction that records the attempts. */
export async function recordFailures(client: pg.ClientBase, failures: readonly Failure[]): Promise<void> {
  if (failures.length === 0) return
  const groups = new Map<string, Group>()
  for (const { jobId, category, message, at } of failures) {
    const group = fingerprint(category, message)
    const known = groups.get(group.fingerprint)
    if (known) {
      known.count++
      known.firstSeen = Math.min(known.firstSeen, at)
      known.lastSeen = Math.max(known.lastSeen, at)
      known.jobIds.push(jobId)
    } else groups.set(group.fingerprint, { ...group, category, count: 1, firstSeen: at, lastSeen: at, jobIds: [jobId] })
  }
  const keys = [...groups.keys()].sort()
  const { rows } = await client.query<{ fingerprint: string; sample_job_ids: string }>(
    'SELECT fingerprint, sample_job_ids FROM failure_groups WHERE fingerprint = ANY($1::text[]) ORDER BY fingerprint FOR UPDATE',
    [keys],
  )
  const stored = new Map(rows.map((row) => [row.fingerprint, row.sample_job_ids]))
  const written = keys.map((key) => {
    const group = groups.get(key)!
    const samples = keptSamples(parseJsonColumn(stored.get(key) ?? null, [], isIdArray), group.jobIds)
    return [key, group.category, group.pattern, group.count, group.firstSeen, group.lastSeen, JSON.stringify(samples)]
  })
  await client.query(UPSERT, columnsOf(written, 7))
}
