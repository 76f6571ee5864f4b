/**
 * What running attempts may still spend: each claim reserves its attempts' estimated cost
 * (budget_reservations, migration 0020) in the claim's own transaction, and settle (or the
 * stall sweep) deletes the reservation in the transaction that books the real cost. A budget
 * is weighed against spent plus reserved, so attempts already running count before they end.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'

/** An attempt's estimate, as a claim reserves it. */
export interface Reservation {
  /** As the job names it (a profile, or a provider kind) and the kind it resolved to. */
  provider: string
  providerKind: string
  batchId: number | null
  usd: number
  tokens: number
}

export function reserve(db: Database, jobId: number, at: number, reservation: Reservation): void {
  sql(
    db,
    `INSERT INTO budget_reservations (job_id, at, provider, provider_kind, batch_id, usd, tokens) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (job_id) DO UPDATE SET at = excluded.at, provider = excluded.provider, provider_kind = excluded.provider_kind,
      batch_id = excluded.batch_id, usd = excluded.usd, tokens = excluded.tokens`,
  ).run(jobId, at, reservation.provider, reservation.providerKind, reservation.batchId, reservation.usd, reservation.tokens)
}

/** The attempts of these jobs ended (or stalled): what they really cost is booked, so their reservations go. */
export function release(db: Database, jobIds: readonly number[]): void {
  if (jobIds.length === 0) return
  sql(db, 'DELETE FROM budget_reservations WHERE job_id IN (SELECT value FROM json_each(?))').run(JSON.stringify(jobIds))
}

/**
 * The same for the attempts `owner` reports ended, except a job another owner has claimed
 * since (its lease ran out here and it was taken over): that reservation is the new owner's.
 */
export function releaseReported(db: Database, jobIds: readonly number[], owner: string): void {
  if (jobIds.length === 0) return
  sql(
    db,
    `DELETE FROM budget_reservations WHERE job_id IN (SELECT value FROM json_each(?))
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_id AND j.state = 'active' AND j.lease_owner <> ?)`,
  ).run(JSON.stringify(jobIds), owner)
}

/**
 * What is reserved against one budget now. Only active jobs count: a reservation whose job
 * was cancelled and recovered elsewhere is not money about to be spent.
 */
export function reservedAgainst(db: Database, budget: { scope: string; batch_id: number | null; target: string; unit: string }): number {
  const amount = budget.unit === 'usd' ? 'r.usd' : 'r.tokens'
  const where = { day: '1', batch: 'r.batch_id = @batch', provider: 'r.provider_kind = @target', profile: 'r.provider = @target' }[budget.scope] ?? '0'
  return sql(
    db,
    `SELECT ifnull(sum(${amount}), 0) FROM budget_reservations r JOIN jobs j ON j.id = r.job_id AND j.state IN ('active', 'submitted') WHERE ${where}`,
  )
    .pluck()
    .get({ batch: budget.batch_id, target: budget.target }) as number
}
