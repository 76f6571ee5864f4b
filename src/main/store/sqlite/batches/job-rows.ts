/**
 * A batch's jobs a page at a time, by keyset on jobs_by_batch (batch_id, id): an export of a
 * million jobs is a thousand short statements, never one long read that would hold the
 * connection (the engine's only one) or the WAL for the whole export. Each job comes with
 * its attempts' totals, aggregated per page.
 */
import type { Database } from 'better-sqlite3'
import type { RunTotals } from '../../../../shared/batches'
import { sql } from '../db/connection'
import { placeKey, type ExportJobRow, type RerunSourceJob, type TokenMeans } from '../../../batches/store'
import { quantile } from './progress'

const ROW_COLUMNS = `j.id, j.state, j.source_file, j.source_row, j.input, j.prompt, j.output, j.error_category, j.last_error, j.provider,
  ifnull((SELECT model FROM job_attempts WHERE job_id = j.id AND model IS NOT NULL ORDER BY id DESC LIMIT 1), j.model) AS model,
  j.attempts_made, j.artifact, j.finished_at, j.started_at,
  CASE WHEN json_valid(j.config) THEN json_extract(j.config, '$.output') END AS checked,
  (SELECT sum(input_tokens) FROM job_attempts WHERE job_id = j.id) AS input_tokens,
  (SELECT sum(output_tokens) FROM job_attempts WHERE job_id = j.id) AS output_tokens,
  (SELECT sum(cached_input_tokens) FROM job_attempts WHERE job_id = j.id) AS cached_input_tokens,
  (SELECT sum(cache_write_tokens) FROM job_attempts WHERE job_id = j.id) AS cache_write_tokens,
  (SELECT sum(cost_usd) FROM job_attempts WHERE job_id = j.id) AS cost_usd`

export interface RawRow {
  id: number
  state: string
  source_file: number | null
  source_row: number | null
  input: string | null
  prompt: string
  output: string | null
  error_category: string | null
  last_error: string | null
  provider: string
  model: string | null
  attempts_made: number
  artifact: string | null
  finished_at: number | null
  started_at: number | null
  checked: string | null
  input_tokens: number | null
  output_tokens: number | null
  cached_input_tokens: number | null
  cache_write_tokens: number | null
  cost_usd: number | null
}

export function toRow(row: RawRow): ExportJobRow {
  return {
    id: row.id,
    state: row.state,
    sourceFile: row.source_file,
    sourceRow: row.source_row,
    input: row.input,
    prompt: row.prompt,
    output: row.output,
    category: row.error_category,
    lastError: row.last_error,
    provider: row.provider,
    model: row.model,
    attempts: row.attempts_made,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cachedInputTokens: row.cached_input_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    costUsd: row.cost_usd,
    latencyMs: row.state === 'completed' && row.finished_at !== null && row.started_at !== null ? row.finished_at - row.started_at : null,
    artifact: row.artifact,
    // config.output is "text" by default; "json" or a schema is a checked output.
    checked: row.checked !== null && row.checked !== 'text',
  }
}

export function exportPage(db: Database, batchId: number, afterId: number, limit: number): ExportJobRow[] {
  const rows = sql(db, `SELECT ${ROW_COLUMNS} FROM jobs j INDEXED BY jobs_by_batch WHERE j.batch_id = ? AND j.id > ? ORDER BY j.id LIMIT ?`).all(
    batchId,
    afterId,
    limit,
  ) as RawRow[]
  return rows.map(toRow)
}

export function jobsByOrder(db: Database, batchId: number, offset: number, limit: number): ExportJobRow[] {
  const rows = sql(db, `SELECT ${ROW_COLUMNS} FROM jobs j INDEXED BY jobs_by_batch WHERE j.batch_id = ? ORDER BY j.id LIMIT ? OFFSET ?`).all(
    batchId,
    limit,
    offset,
  ) as RawRow[]
  return rows.map(toRow)
}

export function jobsAt(db: Database, batchId: number, places: readonly { file: number; row: number }[]): Map<string, ExportJobRow> {
  const found = new Map<string, ExportJobRow>()
  const statement = sql(db, `SELECT ${ROW_COLUMNS} FROM jobs j INDEXED BY jobs_by_source WHERE j.batch_id = ? AND j.source_file = ? AND j.source_row = ?`)
  for (const { file, row } of places) {
    const raw = statement.get(batchId, file, row) as RawRow | undefined
    if (raw) found.set(placeKey(file, row), toRow(raw))
  }
  return found
}

/** Keys of JSON-object outputs, in order of first appearance. Only outputs that start with `{` are parsed. */
export function outputKeys(db: Database, batchId: number, limit: number): string[] {
  return sql(
    db,
    `SELECT key FROM (SELECT j.id, e.id AS place, e.key FROM jobs j INDEXED BY jobs_by_batch, json_each(j.output) e
      WHERE j.batch_id = ? AND j.state = 'completed' AND j.output LIKE '{%' AND json_valid(j.output) AND json_type(j.output) = 'object')
      GROUP BY key ORDER BY min(id), min(place) LIMIT ?`,
  )
    .pluck()
    .all(batchId, limit) as string[]
}

export function runTotals(db: Database, batchId: number): RunTotals | null {
  const batch = sql(db, 'SELECT id, name, cost_usd FROM batches WHERE id = ? AND loading_owner IS NULL').get(batchId) as
    { id: number; name: string; cost_usd: number } | undefined
  if (!batch) return null
  const counts = new Map(sql(db, 'SELECT state, n FROM batch_counts WHERE batch_id = ?').raw().all(batchId) as [string, number][])
  const latencies = sql(
    db,
    `SELECT finished_at - started_at AS ms FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ? AND state = 'completed' AND started_at IS NOT NULL ORDER BY ms`,
  )
    .pluck()
    .all(batchId) as number[]
  const meanChars = sql(db, `SELECT avg(length(output)) FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ? AND state = 'completed'`).pluck().get(batchId) as
    number | null
  return runTotalsOf(batch, counts, latencies, meanChars)
}

/** A run's figures from its batch row, its counts by state, its completed jobs' latencies (sorted) and mean output length: either store's. */
export function runTotalsOf(
  batch: { id: number; name: string; cost_usd: number },
  counts: ReadonlyMap<string, number>,
  sortedLatencies: readonly number[],
  meanChars: number | null,
): RunTotals {
  const completed = counts.get('completed') ?? 0
  const dead = counts.get('dead') ?? 0
  return {
    batchId: batch.id,
    name: batch.name,
    jobs: [...counts.values()].reduce((sum, n) => sum + Math.max(0, n), 0),
    completed,
    dead,
    costUsd: batch.cost_usd,
    p50LatencyMs: quantile(sortedLatencies, 0.5),
    p95LatencyMs: quantile(sortedLatencies, 0.95),
    failureRate: completed + dead > 0 ? dead / (completed + dead) : null,
    meanOutputChars: meanChars,
  }
}

export function rerunPage(db: Database, batchId: number, afterId: number, limit: number): RerunSourceJob[] {
  return sql(
    db,
    `SELECT id, prompt, provider, model, priority, max_attempts AS maxAttempts, config, tags, source_file AS sourceFile, source_row AS sourceRow, input
      FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ? AND id > ? ORDER BY id LIMIT ?`,
  ).all(batchId, afterId, limit) as RerunSourceJob[]
}

export function tokenMeans(db: Database, batchId: number): TokenMeans {
  const row = sql(db, 'SELECT job_count, attempts, input_tokens, output_tokens FROM batches WHERE id = ?').get(batchId) as
    { job_count: number; attempts: number; input_tokens: number; output_tokens: number } | undefined
  const finished = sql(db, `SELECT sum(n) FROM batch_counts WHERE batch_id = ? AND state IN ('completed', 'dead')`).pluck().get(batchId) as number | null
  const jobs = finished ?? 0
  if (!row || jobs === 0) return { jobs: 0, inputTokens: 0, outputTokens: 0 }
  // Every attempt's tokens over the jobs that finished: retries are part of what a job costs.
  return { jobs, inputTokens: row.input_tokens / jobs, outputTokens: row.output_tokens / jobs }
}

export function openJobIds(db: Database, batchId: number, afterId: number, limit: number): number[] {
  return sql(db, `SELECT id FROM jobs INDEXED BY jobs_by_batch WHERE batch_id = ? AND id > ? AND state IN ('queued', 'active') ORDER BY id LIMIT ?`)
    .pluck()
    .all(batchId, afterId, limit) as number[]
}
