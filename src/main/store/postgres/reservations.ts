/**
 * What running attempts may still spend, on PostgreSQL: each gated claim reserves its
 * attempts' estimated cost in its own transaction, and settle (or the stall sweep) deletes
 * the reservation in the transaction that books the real cost (the SQLite store's
 * costs/reservations.ts). A budget is weighed against spent plus reserved.
 */
import type { Reservation } from '../sqlite/costs/reservations'
import type { Queryable } from './transaction'

export async function reserve(client: Queryable, jobId: number, at: number, reservation: Reservation): Promise<void> {
  await reserveAll(client, at, [{ jobId, reservation }])
}

/** A claim's reservations in one statement (a job claimed again replaces its own). */
export async function reserveAll(client: Queryable, at: number, reservations: readonly { jobId: number; reservation: Reservation }[]): Promise<void> {
  if (reservations.length === 0) return
  const column = <T>(of: (r: Reservation) => T) => reservations.map(({ reservation }) => of(reservation))
  await client.query(
    `INSERT INTO budget_reservations (job_id, at, provider, provider_kind, batch_id, usd, tokens)
    SELECT job_id, $1, provider, provider_kind, batch_id, usd, tokens
    FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::double precision[], $7::bigint[]) AS r (job_id, provider, provider_kind, batch_id, usd, tokens)
    ORDER BY job_id
    ON CONFLICT (job_id) DO UPDATE SET at = excluded.at, provider = excluded.provider, provider_kind = excluded.provider_kind,
      batch_id = excluded.batch_id, usd = excluded.usd, tokens = excluded.tokens`,
    [
      at,
      reservations.map(({ jobId }) => jobId),
      column((r) => r.provider),
      column((r) => r.providerKind),
      column((r) => r.batchId),
      column((r) => r.usd),
      column((r) => r.tokens),
    ],
  )
}

/** The attempts of these jobs ended (or stalled): what they really cost is booked, so their reservations go. */
export async function releaseReservations(client: Queryable, jobIds: readonly number[]): Promise<void> {
  if (jobIds.length === 0) return
  await client.query('DELETE FROM budget_reservations WHERE job_id = ANY($1::bigint[])', [jobIds])
}

/**
 * The same for the attempts `owner` reports ended, except a job another engine has claimed
 * since (its lease ran out here and it was taken over): that reservation is the new owner's.
 */
export async function releaseReported(client: Queryable, jobIds: readonly number[], owner: string): Promise<void> {
  if (jobIds.length === 0) return
  await client.query(
    `DELETE FROM budget_reservations r WHERE r.job_id = ANY($1::bigint[])
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = r.job_id AND j.state = 'active' AND j.lease_owner <> $2)`,
    [jobIds, owner],
  )
}

/**
 * What is reserved against one budget now. Only active jobs count: a reservation whose job
 * was cancelled and recovered elsewhere is not money about to be spent.
 */
export async function reservedAgainst(client: Queryable, budget: { scope: string; batch_id: number | null; target: string; unit: string }): Promise<number> {
  const amount = budget.unit === 'usd' ? 'r.usd' : 'r.tokens'
  const [where, ...params] = (
    {
      day: ['true'],
      batch: ['r.batch_id = $1', budget.batch_id],
      provider: ['r.provider_kind = $1', budget.target],
      profile: ['r.provider = $1', budget.target],
    } as Record<string, [string, ...unknown[]]>
  )[budget.scope] ?? ['false']
  const { rows } = await client.query<{ reserved: number }>(
    `SELECT coalesce(sum(${amount}), 0)::double precision AS reserved
    FROM budget_reservations r JOIN jobs j ON j.id = r.job_id AND j.state IN ('active', 'submitted') WHERE ${where}`,
    params,
  )
  return rows[0]!.reserved
}
