/**
 * A batch's progress on PostgreSQL from what is kept as it moves: its row, its counts by
 * state and its finishes per minute (each spread over shards, summed here), its sources.
 * Shaped by the SQLite store's pure parts (store/sqlite/batches/progress.ts), so both
 * stores give the same summary for the same figures.
 */
import type { BatchDetail, BatchSource, BatchSummary } from '../../../../shared/batches'
import {
  BATCH_COLUMNS,
  countsFrom,
  LATENCY_SAMPLE,
  leftOf,
  quantile,
  RATE_MINUTES,
  rateFrom,
  toBatchSource,
  toBatchSummary,
  type BatchRow,
} from '../../sqlite/batches/progress'
import { isRecord, parseJsonColumn } from '../../sqlite/queue/rows'
import { isPaused } from '../read'
import type { Queryable } from '../transaction'

/** The batch's row, its jsonb rerun_changes as the text SQLite keeps. */
const ROW = BATCH_COLUMNS.replace('rerun_changes', 'rerun_changes::text AS rerun_changes')

export async function batchSources(client: Queryable, batchId: number): Promise<BatchSource[]> {
  const { rows } = await client.query<{ name: string; format: string; jobs: number; columns: string }>(
    'SELECT name, format, jobs, columns FROM batch_sources WHERE batch_id = $1 ORDER BY file_index',
    [batchId],
  )
  return rows.map(toBatchSource)
}

/** The batch's counts by state, its shards summed. */
export async function batchCounts(client: Queryable, batchId: number): Promise<[string, number][]> {
  const { rows } = await client.query<{ state: string; n: number }>('SELECT state, sum(n)::bigint AS n FROM batch_counts WHERE batch_id = $1 GROUP BY state', [
    batchId,
  ])
  return rows.map((row) => [row.state, row.n])
}

async function recentRate(client: Queryable, batchId: number, now: number): Promise<number | null> {
  const { rows } = await client.query<{ finished: number | null; first: number | null }>(
    'SELECT sum(completed + dead)::bigint AS finished, min(minute) AS first FROM batch_finishes WHERE batch_id = $1 AND minute >= $2',
    [batchId, Math.floor(now / 60_000) - RATE_MINUTES],
  )
  return rateFrom(rows[0]!.finished, rows[0]!.first, now)
}

async function summaryOf(client: Queryable, row: BatchRow, now: number, queuePaused: boolean): Promise<BatchSummary> {
  const counts = countsFrom(await batchCounts(client, row.id))
  const rate = leftOf(counts) > 0 ? await recentRate(client, row.id, now) : null
  return toBatchSummary(row, counts, await batchSources(client, row.id), rate, queuePaused)
}

export async function listBatches(
  client: Queryable,
  { beforeId, limit }: { beforeId?: number | undefined; limit: number },
  now: number,
): Promise<BatchSummary[]> {
  const { rows } = await client.query<BatchRow>(`SELECT ${ROW} FROM batches WHERE id < $1 ORDER BY id DESC LIMIT $2`, [
    beforeId ?? Number.MAX_SAFE_INTEGER,
    limit,
  ])
  const queuePaused = await isPaused(client)
  const summaries: BatchSummary[] = []
  for (const row of rows) summaries.push(await summaryOf(client, row, now, queuePaused))
  return summaries
}

export async function batchDetail(client: Queryable, batchId: number, now: number): Promise<BatchDetail | null> {
  const { rows } = await client.query<BatchRow>(`SELECT ${ROW} FROM batches WHERE id = $1`, [batchId])
  const row = rows[0]
  if (!row) return null
  const summary = await summaryOf(client, row, now, await isPaused(client))
  const { rows: latencyRows } = await client.query<{ ms: number | null }>(
    `SELECT finished_at - started_at AS ms FROM jobs WHERE batch_id = $1 AND state = 'completed' ORDER BY id DESC LIMIT $2`,
    [batchId, LATENCY_SAMPLE],
  )
  const latencies = latencyRows
    .map((latency) => latency.ms)
    .filter((ms): ms is number => ms !== null && ms >= 0)
    .sort((a, b) => a - b)
  const failures =
    summary.counts.dead === 0
      ? []
      : (
          await client.query<{ category: string; count: number }>(
            `SELECT coalesce(error_category, 'UNKNOWN') AS category, count(*) AS count FROM jobs WHERE batch_id = $1 AND state = 'dead'
              GROUP BY 1 ORDER BY 2 DESC, coalesce(error_category, 'UNKNOWN') COLLATE "C"`,
            [batchId],
          )
        ).rows
  const { rows: reruns } = await client.query<{ id: number }>('SELECT id FROM batches WHERE rerun_of = $1 ORDER BY id', [batchId])
  return {
    ...summary,
    p50LatencyMs: quantile(latencies, 0.5),
    p95LatencyMs: quantile(latencies, 0.95),
    failures,
    rerunChanges: row.rerun_changes === null ? null : parseJsonColumn(row.rerun_changes, {}, isRecord),
    reruns: reruns.map((rerun) => rerun.id),
  }
}
