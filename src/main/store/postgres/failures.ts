/**
 * Failure groups and regression cases on PostgreSQL, read and pinned. The groups are counted
 * at settle (failures-write.ts); pinning a flagged group copies the specs of its sample jobs
 * into the regression set, which `regressions run` enqueues again. Rows are shaped by the
 * SQLite store's parsers (store/sqlite/queue/failures.ts), so both stores answer alike.
 */
import type pg from 'pg'
import { OperationError } from '../../../shared/contract'
import { FLAG_AT, type FailureGroup, type RegressionCase } from '../../../shared/failures'
import { GROUP_COLUMNS, specOf, toCase, toGroup, type CaseRow, type GroupRow, type SourceRow } from '../sqlite/queue/failures'
import type { Queryable } from './transaction'

/** The most recently seen groups first. */
export function groupsStatement({ limit, flagged }: { limit: number; flagged?: boolean | undefined }): { text: string; params: unknown[] } {
  const where = flagged ? `WHERE g.count >= ${FLAG_AT}` : ''
  return { text: `SELECT ${GROUP_COLUMNS} FROM failure_groups AS g ${where} ORDER BY g.last_seen DESC, g.fingerprint COLLATE "C" LIMIT $1`, params: [limit] }
}

export async function listFailureGroups(client: Queryable, options: { limit: number; flagged?: boolean | undefined }): Promise<FailureGroup[]> {
  const { text, params } = groupsStatement(options)
  return (await client.query<GroupRow>(text, params)).rows.map(toGroup)
}

/** A group, its row locked when `lock`: two pins of one group then copy its specs once. */
async function readGroup(client: Queryable, key: string, lock = false): Promise<FailureGroup | null> {
  const { rows } = await client.query<GroupRow>(`SELECT ${GROUP_COLUMNS} FROM failure_groups AS g WHERE g.fingerprint = $1${lock ? ' FOR UPDATE' : ''}`, [key])
  return rows[0] ? toGroup(rows[0]) : null
}

const INSERT_CASE = `INSERT INTO regression_cases (fingerprint, spec, source_job_id, created_at)
  SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM regression_cases WHERE fingerprint = $1 AND spec = $2)`

/**
 * Copies the specs of a flagged group's sample jobs that still exist into the regression
 * set (a spec already there is not copied twice) and marks the group pinned; run inside a transaction.
 */
export async function pinFailureGroup(client: pg.ClientBase, key: string, now: number): Promise<{ group: FailureGroup; added: number }> {
  const group = await readGroup(client, key, true)
  if (!group) throw new OperationError('NOT_FOUND', `no failure group has the fingerprint ${key}`)
  if (!group.flagged) {
    throw new OperationError(
      'CONFLICT',
      `failure group ${key} was seen ${group.count} time${group.count === 1 ? '' : 's'}: a group can be pinned once it is seen ${FLAG_AT} times`,
    )
  }
  const { rows: sources } = await client.query<SourceRow>(
    `SELECT id, prompt, provider, model, priority, max_attempts, tags::text AS tags, config::text AS config FROM jobs WHERE id = ANY($1::bigint[]) ORDER BY id`,
    [group.sampleJobIds],
  )
  if (sources.length === 0 && group.cases === 0) {
    throw new OperationError(
      'CONFLICT',
      `none of the sample jobs of failure group ${key} (jobs ${group.sampleJobIds.join(', ')}) exists any more: there is no spec to copy`,
    )
  }
  let added = 0
  for (const row of sources) added += (await client.query(INSERT_CASE, [key, JSON.stringify(specOf(row)), row.id, now])).rowCount ?? 0
  await client.query('UPDATE failure_groups SET pinned_at = coalesce(pinned_at, $1) WHERE fingerprint = $2', [now, key])
  return { group: (await readGroup(client, key))!, added }
}

/** Every regression case (a few per pinned group), oldest first, with how its latest run went. */
export async function listRegressions(client: Queryable, now: number, key?: string): Promise<RegressionCase[]> {
  const { rows } = await client.query<CaseRow>(
    `SELECT r.id, r.fingerprint, r.spec, r.source_job_id, r.created_at, r.last_job_id, r.last_run_at, g.category, g.pattern,
      j.state, j.run_at, j.error_category, j.last_error
    FROM regression_cases AS r LEFT JOIN failure_groups AS g ON g.fingerprint = r.fingerprint LEFT JOIN jobs AS j ON j.id = r.last_job_id
    WHERE $1::text IS NULL OR r.fingerprint = $1 ORDER BY r.id`,
    [key ?? null],
  )
  return rows.map((row) => toCase(row, now))
}

/** Remembers the job each case was enqueued as, so its state is the case's latest result: one statement for all. */
export async function noteRegressionRun(client: Queryable, runs: { caseId: number; jobId: number }[], at: number): Promise<void> {
  if (runs.length === 0) return
  await client.query(
    `UPDATE regression_cases AS r SET last_job_id = u.job_id, last_run_at = $3
      FROM unnest($1::bigint[], $2::bigint[]) AS u(case_id, job_id) WHERE r.id = u.case_id`,
    [runs.map((run) => run.caseId), runs.map((run) => run.jobId), at],
  )
}
