/**
 * Failure groups and regression cases. Every failed attempt is counted into its group in
 * the transaction that records the attempt; pinning a flagged group copies the specs of its
 * sample jobs into the regression set, which `regressions run` enqueues again.
 */
import type { Database } from 'better-sqlite3'
import { OperationError } from '../../../../shared/contract'
import { FLAG_AT, type FailureGroup, type RegressionCase, type RegressionOutcome } from '../../../../shared/failures'
import { JobSpec, PRIORITY_BY_RANK, type StoredState } from '../../../../shared/jobs'
import { sql } from '../db/connection'
import { fingerprint } from '../../../failures/fingerprint'
import { isIdArray, keptSamples } from '../../../failures/samples'
import { isRecord, isStringArray, parseJsonColumn, shownState } from './rows'

const UPSERT_GROUP = `INSERT INTO failure_groups (fingerprint, category, pattern, count, first_seen, last_seen, sample_job_ids)
  VALUES (@fingerprint, @category, @pattern, 1, @at, @at, @samples)
  ON CONFLICT (fingerprint) DO UPDATE SET count = count + 1, first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen), sample_job_ids = excluded.sample_job_ids`

/** Counts one failed attempt into its group; call inside the transaction that records the attempt. */
export function recordFailure(db: Database, jobId: number, category: string, message: string, at: number): void {
  const group = fingerprint(category, message)
  const stored = sql(db, 'SELECT sample_job_ids FROM failure_groups WHERE fingerprint = ?').pluck().get(group.fingerprint) as string | undefined
  const kept = keptSamples(parseJsonColumn(stored ?? null, [], isIdArray), [jobId])
  sql(db, UPSERT_GROUP).run({ ...group, category, at, samples: JSON.stringify(kept) })
}

export interface GroupRow {
  fingerprint: string
  category: string
  pattern: string
  count: number
  first_seen: number
  last_seen: number
  sample_job_ids: string
  pinned_at: number | null
  cases: number
}

export const GROUP_COLUMNS = `g.fingerprint, g.category, g.pattern, g.count, g.first_seen, g.last_seen, g.sample_job_ids, g.pinned_at,
  (SELECT count(*) FROM regression_cases AS r WHERE r.fingerprint = g.fingerprint) AS cases`

export function toGroup(row: GroupRow): FailureGroup {
  return {
    fingerprint: row.fingerprint,
    category: row.category,
    pattern: row.pattern,
    count: row.count,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    sampleJobIds: parseJsonColumn(row.sample_job_ids, [], isIdArray),
    flagged: row.count >= FLAG_AT,
    pinnedAt: row.pinned_at,
    cases: row.cases,
  }
}

export function groupsQuery({ limit, flagged }: { limit: number; flagged?: boolean | undefined }): { text: string; args: Record<string, number> } {
  const where = flagged ? `WHERE g.count >= ${FLAG_AT}` : ''
  return { text: `SELECT ${GROUP_COLUMNS} FROM failure_groups AS g ${where} ORDER BY g.last_seen DESC, g.fingerprint LIMIT @limit`, args: { limit } }
}

/** The most recently seen groups first. */
export function listFailureGroups(db: Database, options: { limit: number; flagged?: boolean | undefined }): FailureGroup[] {
  const { text, args } = groupsQuery(options)
  return (sql(db, text).all(args) as GroupRow[]).map(toGroup)
}

function readGroup(db: Database, key: string): FailureGroup | null {
  const row = sql(db, `SELECT ${GROUP_COLUMNS} FROM failure_groups AS g WHERE g.fingerprint = ?`).get(key) as GroupRow | undefined
  return row ? toGroup(row) : null
}

export interface SourceRow {
  id: number
  prompt: string
  provider: string
  model: string | null
  priority: number
  max_attempts: number
  tags: string | null
  config: string | null
}

/** A job as a line of a .jsonl prompt file would give it: everything needed to enqueue it again, no idempotency key. */
export function specOf(row: SourceRow): JobSpec {
  const tags = parseJsonColumn(row.tags, [], isStringArray)
  const config = parseJsonColumn(row.config, {}, isRecord)
  return {
    prompt: row.prompt,
    provider: row.provider,
    ...(row.model === null ? {} : { model: row.model }),
    priority: PRIORITY_BY_RANK[row.priority] ?? 'normal',
    attempts: row.max_attempts,
    ...(tags.length ? { tags } : {}),
    ...(Object.keys(config).length ? { config } : {}),
  }
}

/**
 * Copies the specs of a flagged group's sample jobs that still exist into the regression
 * set (a spec already there is not copied twice) and marks the group pinned.
 */
export function pinFailureGroup(db: Database, key: string, now: number): { group: FailureGroup; added: number } {
  return db
    .transaction(() => {
      const group = readGroup(db, key)
      if (!group) throw new OperationError('NOT_FOUND', `no failure group has the fingerprint ${key}`)
      if (!group.flagged) {
        throw new OperationError(
          'CONFLICT',
          `failure group ${key} was seen ${group.count} time${group.count === 1 ? '' : 's'}: a group can be pinned once it is seen ${FLAG_AT} times`,
        )
      }
      const sources = sql(
        db,
        `SELECT id, prompt, provider, model, priority, max_attempts, tags, config FROM jobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`,
      ).all(JSON.stringify(group.sampleJobIds)) as SourceRow[]
      if (sources.length === 0 && group.cases === 0) {
        throw new OperationError(
          'CONFLICT',
          `none of the sample jobs of failure group ${key} (jobs ${group.sampleJobIds.join(', ')}) exists any more: there is no spec to copy`,
        )
      }
      const insert = sql(
        db,
        `INSERT INTO regression_cases (fingerprint, spec, source_job_id, created_at)
        SELECT @key, @spec, @id, @now WHERE NOT EXISTS (SELECT 1 FROM regression_cases WHERE fingerprint = @key AND spec = @spec)`,
      )
      let added = 0
      for (const row of sources) added += insert.run({ key, spec: JSON.stringify(specOf(row)), id: row.id, now }).changes
      sql(db, 'UPDATE failure_groups SET pinned_at = coalesce(pinned_at, ?) WHERE fingerprint = ?').run(now, key)
      return { group: readGroup(db, key)!, added }
    })
    .immediate()
}

export interface CaseRow {
  id: number
  fingerprint: string
  spec: string
  source_job_id: number | null
  created_at: number
  last_job_id: number | null
  last_run_at: number | null
  category: string | null
  pattern: string | null
  state: StoredState | null
  run_at: number | null
  error_category: string | null
  last_error: string | null
}

/** A stored spec, parsed: data read back from disk is checked before it is trusted. */
export function parseSpec(text: string): { spec: JobSpec; problem: null } | { spec: null; problem: string } {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { spec: null, problem: 'the stored spec is not JSON' }
  }
  const parsed = JobSpec.safeParse(value)
  if (parsed.success) return { spec: parsed.data, problem: null }
  const issue = parsed.error.issues[0]
  return { spec: null, problem: `the stored spec does not parse: ${issue ? `${issue.path.join('.') || 'spec'}: ${issue.message}` : 'unknown problem'}` }
}

function outcomeOf(state: StoredState | null): RegressionOutcome {
  if (state === null) return 'removed'
  if (state === 'completed') return 'passed'
  if (state === 'dead' || state === 'cancelled') return 'failed'
  return 'running'
}

export function toCase(row: CaseRow, now: number): RegressionCase {
  const lastRun =
    row.last_job_id === null
      ? null
      : {
          jobId: row.last_job_id,
          at: row.last_run_at ?? row.created_at,
          outcome: outcomeOf(row.state),
          state: row.state === null ? null : shownState(row.state, row.run_at ?? 0, now),
          errorCategory: row.state === 'completed' ? null : row.error_category,
          error: row.state === 'completed' ? null : row.last_error,
        }
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    category: row.category,
    pattern: row.pattern,
    ...parseSpec(row.spec),
    sourceJobId: row.source_job_id,
    createdAt: row.created_at,
    lastRun,
  }
}

/** Every regression case (a few per pinned group), oldest first, with how its latest run went. */
export function listRegressions(db: Database, now: number, key?: string): RegressionCase[] {
  const rows = sql(
    db,
    `SELECT r.id, r.fingerprint, r.spec, r.source_job_id, r.created_at, r.last_job_id, r.last_run_at, g.category, g.pattern,
      j.state, j.run_at, j.error_category, j.last_error
    FROM regression_cases AS r LEFT JOIN failure_groups AS g ON g.fingerprint = r.fingerprint LEFT JOIN jobs AS j ON j.id = r.last_job_id
    WHERE @key IS NULL OR r.fingerprint = @key ORDER BY r.id`,
  ).all({ key: key ?? null }) as CaseRow[]
  return rows.map((row) => toCase(row, now))
}

/** Remembers the job each case was enqueued as, so its state is the case's latest result. */
export function noteRegressionRun(db: Database, runs: { caseId: number; jobId: number }[], at: number): void {
  const update = sql(db, 'UPDATE regression_cases SET last_job_id = ?, last_run_at = ? WHERE id = ?')
  db.transaction(() => {
    for (const run of runs) update.run(run.jobId, at, run.caseId)
  }).immediate()
}
