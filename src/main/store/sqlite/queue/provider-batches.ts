/**
 * The batch lane's rows (migration 0024): provider batches with their pollers' leases, and
 * jobs moved in and out of them. A submitted job's lease_owner names its provider batch,
 * with no expiry: the stall sweep looks at active jobs only, so hours at the provider are
 * never taken for a crash. Its attempt is settled by settle.ts, from 'submitted'.
 */
import type { Database } from 'better-sqlite3'
import type { JobChange } from '../../../../shared/contract'
import { sql } from '../db/connection'
import { budgetsFit } from '../../../costs/budget-gate'
import { budgetRooms } from '../costs/budgets'
import { release, reserve } from '../costs/reservations'
import {
  batchOwner,
  type BilledLine,
  type DueJob,
  type DuePosition,
  type JobProviderBatch,
  type NewProviderBatch,
  type ProviderBatch,
  type ProviderBatchState,
  type ProviderBatchStore,
  type SubmittedLine,
  type TakenBatch,
} from '../../../provider-batches/store'
import type { AttemptResult, FinishedJob } from '../../../queue/store'
import { adjustCounts, isRecord, recordEvent } from './rows'
import { settleAttempts } from './settle'
import { recordUsage, type SettledAttempt } from '../telemetry/rollups-write'
import { billedLineError, billedLineUsage, OPEN_BATCH } from '../../provider-batch-rows'

const BATCH_COLUMNS = `id, provider, kind, model, state, remote_id AS remoteId, remote_status AS remoteStatus, requests,
  created_at AS createdAt, polls, deadline_at AS deadlineAt, owner`

function parseConfig(text: string | null): Record<string, unknown> {
  if (text === null) return {}
  try {
    const value: unknown = JSON.parse(text)
    return isRecord(value) ? value : {}
  } catch {
    return {}
  }
}

export class SqliteProviderBatchStore implements ProviderBatchStore {
  constructor(private readonly db: Database) {}

  dueJobs(now: number, limit: number, after: DuePosition | null = null): DueJob[] {
    // A batch still loading (load.ts) is out of sight, as it is for the claim.
    const rows = sql(
      this.db,
      `SELECT id, provider, model, prompt, config, batch_id, created_at, attempts_made, run_at FROM jobs INDEXED BY jobs_batch_lane
      WHERE state = 'queued' AND lane = 'batch' AND run_at <= @now AND (run_at, id) > (@runAt, @id)
        AND (batch_id IS NULL OR batch_id NOT IN (SELECT id FROM batches WHERE loading_owner IS NOT NULL))
      ORDER BY run_at, id LIMIT @limit`,
    ).all({ now, limit, runAt: after?.runAt ?? Number.MIN_SAFE_INTEGER, id: after?.id ?? 0 }) as {
      id: number
      provider: string
      model: string | null
      prompt: string
      config: string | null
      batch_id: number | null
      created_at: number
      attempts_made: number
      run_at: number
    }[]
    return rows.map((row) => ({
      id: row.id,
      provider: row.provider,
      model: row.model,
      prompt: row.prompt,
      config: parseConfig(row.config),
      batchId: row.batch_id,
      createdAt: row.created_at,
      attemptsMade: row.attempts_made,
      runAt: row.run_at,
    }))
  }

  toRealtime(jobIds: readonly number[], now: number, reason: string): JobChange[] {
    return this.db
      .transaction(() => {
        const ids = sql(
          this.db,
          `UPDATE jobs SET lane = 'realtime', run_at = max(run_at, ?), updated_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND state = 'queued' AND lane = 'batch'
          RETURNING id, attempts_made`,
        ).all(now, now, JSON.stringify(jobIds)) as { id: number; attempts_made: number }[]
        for (const { id } of ids) recordEvent(this.db, id, now, 'queued', 'queued', `to the real-time lane: ${reason}`)
        return ids.map(({ id, attempts_made }) => ({ id, state: 'queued' as const, attemptsMade: attempts_made }))
      })
      .immediate()
  }

  take(batch: NewProviderBatch): TakenBatch {
    return this.db
      .transaction((): TakenBatch => {
        // Still queued and due in the batch lane (not cancelled, gathered by another engine, or backing off since the gather
        // read it), and within the budgets that pause, weighed as the real-time claim weighs its candidates.
        // One statement for the whole upload, not one a line.
        const due = new Set(
          sql(this.db, `SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?)) AND state = 'queued' AND lane = 'batch' AND run_at <= ?`)
            .pluck()
            .all(JSON.stringify(batch.lines.map((line) => line.jobId)), batch.now) as number[],
        )
        const fits = batch.lines.some((line) => line.reservation) ? budgetsFit(budgetRooms(this.db, batch.now)) : () => true
        const lines = batch.lines.filter((line) => due.has(line.jobId) && (!line.reservation || fits(line.reservation)))
        // Nothing to send: no row for a batch that would only be abandoned.
        if (lines.length === 0) return { id: null, taken: new Set(), changes: [] }
        const id = Number(
          sql(
            this.db,
            `INSERT INTO provider_batches (provider, kind, model, state, requests, bytes, created_at, next_poll_at, deadline_at, owner, lease_expires_at)
            VALUES (?, ?, ?, 'preparing', ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            batch.provider,
            batch.kind,
            batch.model,
            lines.length,
            batch.bytes,
            batch.now,
            batch.firstPollAt,
            batch.deadlineAt,
            batch.owner,
            batch.now + batch.leaseMs,
          ).lastInsertRowid,
        )
        const move = sql(
          this.db,
          `UPDATE jobs SET state = 'submitted', attempts_made = attempts_made + 1, started_at = @now, updated_at = @now,
            lease_owner = @owner, lease_expires_at = NULL, provider_batch_id = @batch, batch_line = @line
          WHERE id = @id RETURNING attempts_made`,
        )
        const changes: JobChange[] = []
        for (const line of lines) {
          const row = move.get({ now: batch.now, owner: batchOwner(id), batch: id, line: line.customId, id: line.jobId }) as { attempts_made: number }
          // The whole upload's estimate is reserved before it is sent: budgets weigh it like attempts running.
          if (line.reservation) reserve(this.db, line.jobId, batch.now, line.reservation)
          recordEvent(this.db, line.jobId, batch.now, 'queued', 'submitted', `in provider batch ${id} (${batch.kind}, ${batch.model})`)
          changes.push({ id: line.jobId, state: 'submitted', attemptsMade: row.attempts_made })
        }
        adjustCounts(this.db, { queued: -lines.length, submitted: lines.length })
        return { id, taken: new Set(lines.map((line) => line.jobId)), changes }
      })
      .immediate()
  }

  sent(id: number, remoteId: string, remoteStatus: string): void {
    sql(this.db, `UPDATE provider_batches SET state = 'sent', remote_id = ?, remote_status = ? WHERE id = ? AND state = 'preparing'`).run(
      remoteId,
      remoteStatus,
      id,
    )
  }

  polled(id: number, remoteStatus: string, now: number, nextPollAt: number, state?: ProviderBatchState): void {
    sql(
      this.db,
      `UPDATE provider_batches SET remote_status = ?, polled_at = ?, next_poll_at = ?, polls = polls + 1, state = ifnull(?, state) WHERE id = ?`,
    ).run(remoteStatus, now, nextPollAt, state ?? null, id)
  }

  leaseDue(owner: string, now: number, leaseMs: number, isGone: (owner: string, since: number) => boolean): ProviderBatch[] {
    return this.db
      .transaction(() => {
        sql(this.db, `UPDATE provider_batches SET lease_expires_at = ? WHERE owner = ? AND state IN ${OPEN_BATCH}`).run(now + leaseMs, owner)
        const due = sql(
          this.db,
          `SELECT ${BATCH_COLUMNS}, lease_expires_at AS leaseExpiresAt FROM provider_batches INDEXED BY provider_batches_open
          WHERE state IN ${OPEN_BATCH} AND next_poll_at <= ?`,
        ).all(now) as (ProviderBatch & { leaseExpiresAt: number | null })[]
        const mine = due.filter(
          (batch) =>
            // A batch of ours still preparing is being uploaded by this engine right now: not a poll's business.
            (batch.owner === owner && batch.state !== 'preparing') ||
            (batch.owner !== owner &&
              (batch.owner === null ||
                // One still preparing may be in a long upload (its lease is renewed only by polls): taken only from a dead
                // owner, or the provider would run a batch no engine reads while its lines are gathered and paid again.
                (batch.state === 'preparing'
                  ? isGone(batch.owner, batch.createdAt)
                  : (batch.leaseExpiresAt ?? 0) < now || isGone(batch.owner, batch.createdAt)))),
        )
        const take = sql(this.db, 'UPDATE provider_batches SET owner = ?, lease_expires_at = ? WHERE id = ?')
        for (const batch of mine) take.run(owner, now + leaseMs, batch.id)
        return mine.map(({ leaseExpiresAt: _, ...batch }) => ({ ...batch, owner }))
      })
      .immediate()
  }

  keepLease(id: number, owner: string, now: number, leaseMs: number): boolean {
    return (
      sql(this.db, `UPDATE provider_batches SET lease_expires_at = ? WHERE id = ? AND owner = ? AND state IN ${OPEN_BATCH}`).run(now + leaseMs, id, owner)
        .changes > 0
    )
  }

  releaseLeases(owner: string): void {
    sql(this.db, `UPDATE provider_batches SET lease_expires_at = 0 WHERE owner = ? AND state IN ${OPEN_BATCH}`).run(owner)
  }

  lines(id: number): SubmittedLine[] {
    const rows = sql(
      this.db,
      `SELECT id, batch_line, provider, model, prompt, config, batch_id, attempts_made, started_at FROM jobs INDEXED BY jobs_by_provider_batch
      WHERE provider_batch_id = ? AND state = 'submitted' AND lease_owner = ?`,
    ).all(id, batchOwner(id)) as {
      id: number
      batch_line: string
      provider: string
      model: string | null
      prompt: string
      config: string | null
      batch_id: number | null
      attempts_made: number
      started_at: number
    }[]
    return rows.map((row) => ({
      jobId: row.id,
      customId: row.batch_line,
      provider: row.provider,
      model: row.model,
      prompt: row.prompt,
      config: parseConfig(row.config),
      batchId: row.batch_id,
      attempt: row.attempts_made,
      startedAt: row.started_at,
    }))
  }

  billCancelled(id: number, answered: readonly BilledLine[]): number {
    if (answered.length === 0) return 0
    return this.db
      .transaction(() => {
        const batch = sql(this.db, 'SELECT kind, model, remote_id FROM provider_batches WHERE id = ?').get(id) as
          { kind: string; model: string; remote_id: string | null } | undefined
        if (!batch) return 0
        // The attempt the cancel wrote for this very line (manage.ts): found by the line, whatever the job did since; not yet
        // billed while its provider_kind is unset.
        const findAttempt = sql(
          this.db,
          `SELECT a.id, a.started_at, j.provider, j.batch_id, j.tags FROM job_attempts a INDEXED BY job_attempts_by_batch_line JOIN jobs j ON j.id = a.job_id
          WHERE a.provider_batch_id = ? AND a.batch_line = ? AND a.outcome = 'cancelled' AND a.provider_kind IS NULL`,
        )
        const bill = sql(
          this.db,
          `UPDATE job_attempts SET ended_at = ?, error = ?, input_tokens = ?, output_tokens = ?, cached_input_tokens = ?, cache_write_tokens = ?,
            provider = ?, provider_kind = ?, model = ?, cost_usd = ? WHERE id = ?`,
        )
        const usage: SettledAttempt[] = []
        for (const line of answered) {
          const attempt = findAttempt.get(id, line.customId) as
            { id: number; started_at: number; provider: string; batch_id: number | null; tags: string | null } | undefined
          if (!attempt) continue
          bill.run(
            line.endedAt,
            billedLineError(batch.remote_id ?? id),
            line.inputTokens,
            line.outputTokens,
            line.cachedInputTokens ?? 0,
            line.cacheWriteTokens ?? 0,
            attempt.provider,
            batch.kind,
            batch.model,
            line.costUsd,
            attempt.id,
          )
          usage.push(billedLineUsage(line, batch, attempt))
        }
        recordUsage(this.db, usage)
        return usage.length
      })
      .immediate()
  }

  hasOpenLines(id: number): boolean {
    return (
      sql(this.db, `SELECT 1 FROM jobs INDEXED BY jobs_by_provider_batch WHERE provider_batch_id = ? AND state = 'submitted' LIMIT 1`).get(id) !== undefined
    )
  }

  settle(id: number, results: AttemptResult[], finished: FinishedJob[]): JobChange[] {
    return this.db
      .transaction(() => {
        const changes = settleAttempts(this.db, results, batchOwner(id), finished, 'submitted')
        // Counted with the lines they are, in the same commit: a settle cut off half-way (a stream that broke) leaves totals that match.
        const succeeded = changes.filter((change) => change.state === 'completed').length
        sql(this.db, 'UPDATE provider_batches SET succeeded = succeeded + ?, failed = failed + ? WHERE id = ?').run(succeeded, changes.length - succeeded, id)
        return changes
      })
      .immediate()
  }

  requeue(id: number, jobIds: readonly number[], now: number, toRealtime: boolean, reason: string): JobChange[] {
    return this.db
      .transaction(() => {
        // The provider never answered these lines: nothing was paid, so the attempt is given back.
        const rows = sql(
          this.db,
          `UPDATE jobs SET state = 'queued', run_at = @now, updated_at = @now, attempts_made = attempts_made - 1, lease_owner = NULL,
            lane = CASE WHEN @realtime THEN 'realtime' ELSE lane END
          WHERE id IN (SELECT value FROM json_each(@ids)) AND state = 'submitted' AND lease_owner = @owner RETURNING id, attempts_made`,
        ).all({ now, realtime: toRealtime ? 1 : 0, ids: JSON.stringify(jobIds), owner: batchOwner(id) }) as { id: number; attempts_made: number }[]
        for (const row of rows) recordEvent(this.db, row.id, now, 'submitted', 'queued', reason)
        adjustCounts(this.db, { submitted: -rows.length, queued: rows.length })
        release(
          this.db,
          rows.map((row) => row.id),
        )
        return rows.map((row) => ({ id: row.id, state: 'queued' as const, attemptsMade: row.attempts_made }))
      })
      .immediate()
  }

  finish(id: number, state: 'settled' | 'abandoned', now: number, requeued: number, error?: string): void {
    sql(
      this.db,
      `UPDATE provider_batches SET state = ?, ended_at = ?, requeued = requeued + ?, error = ?, owner = NULL, lease_expires_at = NULL WHERE id = ?`,
    ).run(state, now, requeued, error ?? null, id)
  }
}

/** The provider batch a job went in last, for its detail; null when it never went in one. */
export function jobProviderBatch(db: Database, jobId: number): JobProviderBatch | null {
  const row = sql(
    db,
    `SELECT b.id, b.remote_id AS remoteId, b.state, b.remote_status AS remoteStatus FROM jobs j JOIN provider_batches b ON b.id = j.provider_batch_id WHERE j.id = ?`,
  ).get(jobId) as JobProviderBatch | undefined
  return row ?? null
}
