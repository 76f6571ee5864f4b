/**
 * A batch's jobs a page at a time on PostgreSQL, by keyset on jobs_by_batch (batch_id, id),
 * each with its attempts' totals; rows shaped by the SQLite store's toRow
 * (store/sqlite/batches/job-rows.ts), so an export reads the same from either store.
 */
import type { RunTotals } from '../../../../shared/batches'
import { placeKey, type ExportJobRow, type RerunSourceJob, type TokenMeans } from '../../../batches/store'
import { runTotalsOf, toRow, type RawRow } from '../../sqlite/batches/job-rows'
import type { Queryable } from '../transaction'

// config.output is a string ("text", "json") or a schema: ->> gives either as text, as SQLite's json_extract does.
const ROW_COLUMNS = `j.id, j.state, j.source_file, j.source_row, j.input, j.prompt, j.output, j.error_category, j.last_error, j.provider,
  coalesce((SELECT model FROM job_attempts WHERE job_id = j.id AND model IS NOT NULL ORDER BY id DESC LIMIT 1), j.model) AS model,
  j.attempts_made, j.artifact, j.finished_at, j.started_at, j.config ->> 'output' AS checked,
  (SELECT sum(input_tokens) FROM job_attempts WHERE job_id = j.id) AS input_tokens,
  (SELECT sum(output_tokens) FROM job_attempts WHERE job_id = j.id) AS output_tokens,
  (SELECT sum(cached_input_tokens) FROM job_attempts WHERE job_id = j.id) AS cached_input_tokens,
  (SELECT sum(cache_write_tokens) FROM job_attempts WHERE job_id = j.id) AS cache_write_tokens,
  (SELECT sum(cost_usd) FROM job_attempts WHERE job_id = j.id) AS cost_usd`

export async function exportPage(client: Queryable, batchId: number, afterId: number, limit: number): Promise<ExportJobRow[]> {
  const { rows } = await client.query<RawRow>(`SELECT ${ROW_COLUMNS} FROM jobs j WHERE j.batch_id = $1 AND j.id > $2 ORDER BY j.id LIMIT $3`, [
    batchId,
    afterId,
    limit,
  ])
  return rows.map(toRow)
}

export async function jobsByOrder(client: Queryable, batchId: number, offset: number, limit: number): Promise<ExportJobRow[]> {
  const { rows } = await client.query<RawRow>(`SELECT ${ROW_COLUMNS} FROM jobs j WHERE j.batch_id = $1 ORDER BY j.id LIMIT $2 OFFSET $3`, [
    batchId,
    limit,
    offset,
  ])
  return rows.map(toRow)
}

/** Every place in one statement; where two jobs share a place, the first enqueued answers (as SQLite's index gives it). */
export async function jobsAt(client: Queryable, batchId: number, places: readonly { file: number; row: number }[]): Promise<Map<string, ExportJobRow>> {
  const found = new Map<string, ExportJobRow>()
  if (places.length === 0) return found
  const { rows } = await client.query<RawRow>(
    `SELECT ${ROW_COLUMNS} FROM jobs j JOIN unnest($2::integer[], $3::integer[]) AS p(file, line) ON j.source_file = p.file AND j.source_row = p.line
      WHERE j.batch_id = $1 ORDER BY j.id DESC`,
    [batchId, places.map((place) => place.file), places.map((place) => place.row)],
  )
  for (const raw of rows) found.set(placeKey(raw.source_file!, raw.source_row!), toRow(raw))
  return found
}

/** Outputs read per statement while looking for keys. */
const KEYS_PAGE = 500

/**
 * Keys of JSON-object outputs, in order of first appearance. Read in id order a page at a
 * time and parsed here: PostgreSQL 15 has no test of valid JSON that would let a statement
 * skip a damaged output, and the walk stops as soon as it has `limit` keys.
 */
export async function outputKeys(client: Queryable, batchId: number, limit: number): Promise<string[]> {
  const keys = new Set<string>()
  let after = 0
  while (keys.size < limit) {
    const { rows } = await client.query<{ id: number; output: string }>(
      `SELECT id, output FROM jobs WHERE batch_id = $1 AND id > $2 AND state = 'completed' AND output LIKE '{%' ORDER BY id LIMIT ${KEYS_PAGE}`,
      [batchId, after],
    )
    for (const { output } of rows) {
      let value: unknown
      try {
        value = JSON.parse(output)
      } catch {
        continue
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) continue
      for (const key of Object.keys(value)) if (keys.size < limit) keys.add(key)
    }
    if (rows.length < KEYS_PAGE) break
    after = rows.at(-1)!.id
  }
  return [...keys]
}

export async function runTotals(client: Queryable, batchId: number): Promise<RunTotals | null> {
  const { rows } = await client.query<{ id: number; name: string; cost_usd: number }>('SELECT id, name, cost_usd FROM batches WHERE id = $1', [batchId])
  const batch = rows[0]
  if (!batch) return null
  const { rows: countRows } = await client.query<{ state: string; n: number }>(
    'SELECT state, sum(n)::bigint AS n FROM batch_counts WHERE batch_id = $1 GROUP BY state',
    [batchId],
  )
  const counts = new Map(countRows.map((row) => [row.state, row.n]))
  const { rows: latencies } = await client.query<{ ms: number }>(
    `SELECT finished_at - started_at AS ms FROM jobs WHERE batch_id = $1 AND state = 'completed' AND started_at IS NOT NULL ORDER BY ms`,
    [batchId],
  )
  const { rows: mean } = await client.query<{ chars: number | null }>(
    `SELECT avg(length(output))::double precision AS chars FROM jobs WHERE batch_id = $1 AND state = 'completed'`,
    [batchId],
  )
  return runTotalsOf(
    batch,
    counts,
    latencies.map((row) => row.ms),
    mean[0]!.chars,
  )
}

export async function rerunPage(client: Queryable, batchId: number, afterId: number, limit: number): Promise<RerunSourceJob[]> {
  const { rows } = await client.query<RerunSourceJob>(
    `SELECT id, prompt, provider, model, priority, max_attempts AS "maxAttempts", config::text AS config, tags::text AS tags,
      source_file AS "sourceFile", source_row AS "sourceRow", input
      FROM jobs WHERE batch_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [batchId, afterId, limit],
  )
  return rows
}

export async function tokenMeans(client: Queryable, batchId: number): Promise<TokenMeans> {
  const { rows } = await client.query<{ input_tokens: number; output_tokens: number; finished: number | null }>(
    `SELECT input_tokens, output_tokens,
      (SELECT sum(n)::bigint FROM batch_counts WHERE batch_id = $1 AND state IN ('completed', 'dead')) AS finished
      FROM batches WHERE id = $1`,
    [batchId],
  )
  const row = rows[0]
  const jobs = row?.finished ?? 0
  if (!row || jobs === 0) return { jobs: 0, inputTokens: 0, outputTokens: 0 }
  // Every attempt's tokens over the jobs that finished: retries are part of what a job costs.
  return { jobs, inputTokens: row.input_tokens / jobs, outputTokens: row.output_tokens / jobs }
}

export async function openJobIds(client: Queryable, batchId: number, afterId: number, limit: number): Promise<number[]> {
  const { rows } = await client.query<{ id: number }>(
    `SELECT id FROM jobs WHERE batch_id = $1 AND id > $2 AND state IN ('queued', 'active') ORDER BY id LIMIT $3`,
    [batchId, afterId, limit],
  )
  return rows.map((row) => row.id)
}
