/**
 * The batch lane's rows on PostgreSQL (migration 0002): provider batches with their pollers'
 * leases, and jobs moved in and out of them, as the SQLite store's provider-batches.ts does
 * for one machine. On a team store any engine may gather, and any polls a batch whose poller
 * is gone: a batch is polled by the engine holding its lease (judged by the server's clock,
 * as the jobs' leases are), and each move of a job locks it first, in id order, as every
 * transition does (transitions.ts). A line's attempt is settled by settle.ts, from 'submitted'.
 */
import type pg from 'pg'
import type { JobChange } from '../../../shared/contract'
import {
  batchOwner,
  type BilledLine,
  type DueJob,
  type DuePosition,
  type NewProviderBatch,
  type ProviderBatch,
  type ProviderBatchState,
  type ProviderBatchStore,
  type SubmittedLine,
  type TakenBatch,
  type TakenLine,
} from '../../provider-batches/store'
import type { AttemptResult, FinishedJob } from '../../queue/store'
import type { SettledAttempt } from '../sqlite/telemetry/usage-groups'
import { StateTally } from '../sqlite/queue/state-tally'
import { writeMoves } from './batch-counts'
import { budgetsFit } from '../../costs/budget-gate'
import { GATED_CLAIM_LOCK, SERVER_NOW_MS } from './claim'
import { budgetRooms } from './costs/budgets'
import { finishChange } from './counts'
import { releaseReservations, reserveAll } from './reservations'
import { recordUsage } from './rollups'
import { settleAttempts } from './settle'
import { inTransaction } from './transaction'
import { lockJobs, writeTransitions } from './transitions'
import { billedLineError, billedLineUsage, OPEN_BATCH } from '../provider-batch-rows'

const BATCH_COLUMNS = `id, provider, kind, model, state, remote_id AS "remoteId", remote_status AS "remoteStatus", requests,
  created_at AS "createdAt", polls, deadline_at AS "deadlineAt", owner`

/** A jsonb config as node-postgres parses it: an object, or null for none. */
const configOf = (config: Record<string, unknown> | null): Record<string, unknown> => config ?? {}

export class PostgresProviderBatchStore implements ProviderBatchStore {
  constructor(
    private readonly pool: pg.Pool,
    /** The store's name in change notices (index.ts). */
    private readonly source: string,
  ) {}

  async dueJobs(now: number, limit: number, after: DuePosition | null = null): Promise<DueJob[]> {
    const { rows } = await this.pool.query<{
      id: number
      provider: string
      model: string | null
      prompt: string
      config: Record<string, unknown> | null
      batch_id: number | null
      created_at: number
      attempts_made: number
      run_at: number
    }>(
      `SELECT id, provider, model, prompt, config, batch_id, created_at, attempts_made, run_at FROM jobs
      WHERE state = 'queued' AND lane = 'batch' AND run_at <= $1 AND (run_at, id) > ($2, $3)
      ORDER BY run_at, id LIMIT $4`,
      [now, after?.runAt ?? Number.MIN_SAFE_INTEGER, after?.id ?? 0, limit],
    )
    return rows.map((row) => ({
      id: row.id,
      provider: row.provider,
      model: row.model,
      prompt: row.prompt,
      config: configOf(row.config),
      batchId: row.batch_id,
      createdAt: row.created_at,
      attemptsMade: row.attempts_made,
      runAt: row.run_at,
    }))
  }

  toRealtime(jobIds: readonly number[], now: number, reason: string): Promise<JobChange[]> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ id: number; attempts_made: number }>(
        `WITH moved AS (
          UPDATE jobs SET lane = 'realtime', run_at = greatest(run_at, $1), updated_at = $1
          WHERE id IN (SELECT id FROM jobs WHERE id = ANY($2::bigint[]) AND state = 'queued' AND lane = 'batch' ORDER BY id FOR UPDATE)
          RETURNING id, attempts_made),
        events AS (INSERT INTO job_events (job_id, at, from_state, to_state, detail) SELECT id, $1, 'queued', 'queued', $3 FROM moved)
        SELECT id, attempts_made FROM moved ORDER BY id`,
        [now, jobIds, `to the real-time lane: ${reason}`],
      )
      // The other engines' claims hear of jobs they may take now.
      if (rows.length > 0) await finishChange(client, {}, this.source, 'changed')
      return rows.map(({ id, attempts_made }) => ({ id, state: 'queued' as const, attemptsMade: attempts_made }))
    })
  }

  take(batch: NewProviderBatch): Promise<TakenBatch> {
    return inTransaction(this.pool, async (client): Promise<TakenBatch> => {
      const lineOf = new Map(batch.lines.map((line) => [line.jobId, line]))
      // Only jobs still queued and due in the batch lane: one cancelled, gathered by another engine meanwhile, or backing off
      // from a failed batch since the gather read it, is not taken.
      const locked = await lockJobs(client, `id = ANY($1::bigint[]) AND state = 'queued' AND lane = 'batch' AND run_at <= $2`, [[...lineOf.keys()], batch.now])
      let fits = (_line: TakenLine) => true
      if (batch.lines.some((line) => line.reservation)) {
        // Within the budgets that pause, weighed under the gated claim's lock: a claim and a take never both spend the same room.
        await client.query('SELECT pg_advisory_xact_lock($1)', [GATED_CLAIM_LOCK])
        const fit = budgetsFit(await budgetRooms(client, batch.now))
        fits = (line) => !line.reservation || fit(line.reservation)
      }
      const jobs = locked.filter((job) => fits(lineOf.get(job.id)!))
      // Nothing to send: no row for a batch that would only be abandoned.
      if (jobs.length === 0) return { id: null, taken: new Set(), changes: [] }
      const ids = jobs.map((job) => job.id)
      const { rows: created } = await client.query<{ id: number }>(
        `INSERT INTO provider_batches (provider, kind, model, state, requests, bytes, created_at, next_poll_at, deadline_at, owner, lease_expires_at)
        VALUES ($1, $2, $3, 'preparing', $4, $5, $6, $7, $8, $9, ${SERVER_NOW_MS} + $10) RETURNING id`,
        [batch.provider, batch.kind, batch.model, ids.length, batch.bytes, batch.now, batch.firstPollAt, batch.deadlineAt, batch.owner, batch.leaseMs],
      )
      const id = created[0]!.id
      const { rows: moved } = await client.query<{ id: number; attempts_made: number }>(
        `WITH moved AS (
          UPDATE jobs j SET state = 'submitted', attempts_made = j.attempts_made + 1, started_at = $2, updated_at = $2,
            lease_owner = $3, lease_expires_at = NULL, provider_batch_id = $4, batch_line = u.line
          FROM unnest($1::bigint[], $5::text[]) AS u(id, line) WHERE j.id = u.id
          RETURNING j.id, j.attempts_made),
        events AS (INSERT INTO job_events (job_id, at, from_state, to_state, detail) SELECT id, $2, 'queued', 'submitted', $6 FROM moved)
        SELECT id, attempts_made FROM moved ORDER BY id`,
        [ids, batch.now, batchOwner(id), id, ids.map((jobId) => lineOf.get(jobId)!.customId), `in provider batch ${id} (${batch.kind}, ${batch.model})`],
      )
      // The whole upload's estimate is reserved before it is sent: budgets weigh it like attempts running.
      await reserveAll(
        client,
        batch.now,
        ids.flatMap((jobId) => {
          const reservation = lineOf.get(jobId)!.reservation
          return reservation ? [{ jobId, reservation }] : []
        }),
      )
      const tally = new StateTally()
      for (const job of jobs) tally.moved(job, 'queued', 'submitted', batch.now)
      await writeMoves(client, tally)
      await finishChange(client, { queued: -ids.length, submitted: ids.length }, this.source, 'changed')
      return {
        id,
        taken: new Set(ids),
        changes: moved.map((row) => ({ id: row.id, state: 'submitted' as const, attemptsMade: row.attempts_made })),
      }
    })
  }

  async sent(id: number, remoteId: string, remoteStatus: string): Promise<void> {
    await this.pool.query(`UPDATE provider_batches SET state = 'sent', remote_id = $1, remote_status = $2 WHERE id = $3 AND state = 'preparing'`, [
      remoteId,
      remoteStatus,
      id,
    ])
  }

  async polled(id: number, remoteStatus: string, now: number, nextPollAt: number, state?: ProviderBatchState): Promise<void> {
    await this.pool.query(
      `UPDATE provider_batches SET remote_status = $1, polled_at = $2, next_poll_at = $3, polls = polls + 1, state = coalesce($4, state) WHERE id = $5`,
      [remoteStatus, now, nextPollAt, state ?? null, id],
    )
  }

  leaseDue(owner: string, now: number, leaseMs: number, isGone: (owner: string, since: number) => boolean): Promise<ProviderBatch[]> {
    return inTransaction(this.pool, async (client) => {
      await client.query(`UPDATE provider_batches SET lease_expires_at = ${SERVER_NOW_MS} + $1 WHERE owner = $2 AND state IN ${OPEN_BATCH}`, [leaseMs, owner])
      // Locked as read, passing over a batch another engine is taking right now: two engines never take one batch.
      const { rows: due } = await client.query<ProviderBatch & { expired: boolean }>(
        `SELECT ${BATCH_COLUMNS}, coalesce(lease_expires_at < ${SERVER_NOW_MS}, true) AS expired FROM provider_batches
        WHERE state IN ${OPEN_BATCH} AND next_poll_at <= $1 ORDER BY id FOR UPDATE SKIP LOCKED`,
        [now],
      )
      const mine = due.filter(
        (batch) =>
          // A batch of ours still preparing is being uploaded by this engine right now: not a poll's business.
          (batch.owner === owner && batch.state !== 'preparing') ||
          (batch.owner !== owner &&
            (batch.owner === null ||
              // One still preparing may be in a long upload (its lease is renewed only by polls): taken only from a dead
              // owner, or the provider would run a batch no engine reads while its lines are gathered and paid again.
              (batch.state === 'preparing' ? isGone(batch.owner, batch.createdAt) : batch.expired || isGone(batch.owner, batch.createdAt)))),
      )
      if (mine.length > 0) {
        await client.query(`UPDATE provider_batches SET owner = $1, lease_expires_at = ${SERVER_NOW_MS} + $2 WHERE id = ANY($3::bigint[])`, [
          owner,
          leaseMs,
          mine.map((batch) => batch.id),
        ])
      }
      return mine.map(({ expired: _, ...batch }) => ({ ...batch, owner }))
    })
  }

  async keepLease(id: number, owner: string, _now: number, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE provider_batches SET lease_expires_at = ${SERVER_NOW_MS} + $1 WHERE id = $2 AND owner = $3 AND state IN ${OPEN_BATCH}`,
      [leaseMs, id, owner],
    )
    return (rowCount ?? 0) > 0
  }

  async releaseLeases(owner: string): Promise<void> {
    await this.pool.query(`UPDATE provider_batches SET lease_expires_at = 0 WHERE owner = $1 AND state IN ${OPEN_BATCH}`, [owner])
  }

  async lines(id: number): Promise<SubmittedLine[]> {
    const { rows } = await this.pool.query<{
      id: number
      batch_line: string
      provider: string
      model: string | null
      prompt: string
      config: Record<string, unknown> | null
      batch_id: number | null
      attempts_made: number
      started_at: number
    }>(
      `SELECT id, batch_line, provider, model, prompt, config, batch_id, attempts_made, started_at FROM jobs
      WHERE provider_batch_id = $1 AND state = 'submitted' AND lease_owner = $2 ORDER BY id`,
      [id, batchOwner(id)],
    )
    return rows.map((row) => ({
      jobId: row.id,
      customId: row.batch_line,
      provider: row.provider,
      model: row.model,
      prompt: row.prompt,
      config: configOf(row.config),
      batchId: row.batch_id,
      attempt: row.attempts_made,
      startedAt: row.started_at,
    }))
  }

  billCancelled(id: number, answered: readonly BilledLine[]): Promise<number> {
    if (answered.length === 0) return Promise.resolve(0)
    return inTransaction(this.pool, async (client) => {
      const { rows: batches } = await client.query<{ kind: string; model: string; remote_id: string | null }>(
        'SELECT kind, model, remote_id FROM provider_batches WHERE id = $1',
        [id],
      )
      const batch = batches[0]
      if (!batch) return 0
      const usage: SettledAttempt[] = []
      for (const line of answered) {
        // The attempt the cancel wrote for this very line (manage.ts), whatever the job did since; not yet billed while its
        // provider_kind is unset. Billed in the same statement, so a line is counted once.
        const { rows } = await client.query<{ started_at: number; provider: string; batch_id: number | null; tags: string | null }>(
          `UPDATE job_attempts a SET ended_at = $3, error = $4, input_tokens = $5, output_tokens = $6, cached_input_tokens = $7, cache_write_tokens = $8,
            provider = j.provider, provider_kind = $9, model = $10, cost_usd = $11
          FROM jobs j WHERE j.id = a.job_id AND a.provider_batch_id = $1 AND a.batch_line = $2 AND a.outcome = 'cancelled' AND a.provider_kind IS NULL
          RETURNING a.started_at, j.provider, j.batch_id, j.tags::text AS tags`,
          [
            id,
            line.customId,
            line.endedAt,
            billedLineError(batch.remote_id ?? id),
            line.inputTokens,
            line.outputTokens,
            line.cachedInputTokens ?? 0,
            line.cacheWriteTokens ?? 0,
            batch.kind,
            batch.model,
            line.costUsd,
          ],
        )
        const attempt = rows[0]
        if (!attempt) continue
        usage.push(billedLineUsage(line, batch, attempt))
      }
      await recordUsage(client, usage)
      return usage.length
    })
  }

  async hasOpenLines(id: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM jobs WHERE provider_batch_id = $1 AND state = 'submitted' LIMIT 1`, [id])
    return (rowCount ?? 0) > 0
  }

  async settle(id: number, results: AttemptResult[], finished: FinishedJob[]): Promise<JobChange[]> {
    if (results.length === 0) return []
    const settled = await inTransaction(this.pool, async (client) => {
      const done = await settleAttempts(client, this.source, results, batchOwner(id), 'submitted')
      // Counted with the lines they are, in the same commit: a settle cut off half-way (a stream that broke) leaves totals that match.
      const succeeded = done.changes.filter((change) => change.state === 'completed').length
      await client.query('UPDATE provider_batches SET succeeded = succeeded + $1, failed = failed + $2 WHERE id = $3', [
        succeeded,
        done.changes.length - succeeded,
        id,
      ])
      return done
    })
    // Handed over only once committed: a rolled-back settle finished nothing.
    finished.push(...settled.finished)
    return settled.changes
  }

  requeue(id: number, jobIds: readonly number[], now: number, toRealtime: boolean, reason: string): Promise<JobChange[]> {
    return inTransaction(this.pool, async (client) => {
      const jobs = await lockJobs(client, `id = ANY($1::bigint[]) AND state = 'submitted' AND lease_owner = $2`, [jobIds, batchOwner(id)])
      // The provider never answered these lines: nothing was paid, so the attempt is given back.
      const moves = jobs.map((job) => ({
        job: { ...job, state: 'queued' as const, run_at: now, attempts_made: job.attempts_made - 1 },
        from: 'submitted' as const,
        at: now,
        detail: reason,
      }))
      await writeTransitions(client, moves, [], this.source, 'changed')
      if (toRealtime && jobs.length > 0) {
        await client.query(`UPDATE jobs SET lane = 'realtime' WHERE id = ANY($1::bigint[])`, [jobs.map((job) => job.id)])
      }
      await releaseReservations(
        client,
        jobs.map((job) => job.id),
      )
      return moves.map(({ job }) => ({ id: job.id, state: 'queued' as const, attemptsMade: job.attempts_made }))
    })
  }

  async finish(id: number, state: 'settled' | 'abandoned', now: number, requeued: number, error?: string): Promise<void> {
    await this.pool.query(
      `UPDATE provider_batches SET state = $1, ended_at = $2, requeued = requeued + $3, error = $4, owner = NULL, lease_expires_at = NULL WHERE id = $5`,
      [state, now, requeued, error ?? null, id],
    )
  }
}
