/**
 * The rollups a settle adds to on PostgreSQL (usage_rollups, tag_rollups, the batches'
 * running figures, metric_totals), grouped in JS by the SQLite store's own helpers
 * (telemetry/usage-groups.ts, tag-groups.ts, tally.ts) and written in one statement, one row
 * a key: ON CONFLICT adds to what other engines wrote. Rows go in key order, so two engines
 * settling into the same buckets wait for each other rather than deadlock (and a deadlock the
 * server breaks all the same is run again by inTransaction).
 */
import type pg from 'pg'
import { groupTagUsage } from '../sqlite/telemetry/tag-groups'
import { attemptsTally, type TotalMetric } from '../sqlite/telemetry/tally'
import { counts, COUNTS, groupUsage, KEY, type SettledAttempt } from '../sqlite/telemetry/usage-groups'
import { columnsOf, unnestOf } from './columns'

const ROLLUP_TYPES = ['bigint', 'bigint', 'text', 'text', 'text'].concat(COUNTS.map((column) => (column === 'cost_usd' ? 'double precision' : 'bigint')))
const BATCH_TYPES = ['bigint', 'integer', 'bigint', 'bigint', 'bigint', 'bigint', 'double precision', 'integer', 'bigint']
const TAG_TYPES = ['bigint', 'bigint', 'text', 'bigint', 'bigint', 'bigint', 'double precision', 'bigint', 'bigint', 'bigint']
const TOTAL_TYPES = ['text', 'text', 'text', 'text', 'bigint']
// Where each table's columns start among the settle's parameters: the four writes go in one statement.
const R = 1
const B = R + ROLLUP_TYPES.length
const T = B + BATCH_TYPES.length
const M = T + TAG_TYPES.length

const UPSERT_ROLLUPS = `INSERT INTO usage_rollups (${[...KEY, ...COUNTS].join(', ')})
  SELECT * FROM ${unnestOf(ROLLUP_TYPES, R)} ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET ${COUNTS.map((c) => `${c} = usage_rollups.${c} + excluded.${c}`).join(', ')}`

// The batches are locked in id order first (an UPDATE ... FROM joins in no promised order).
const BATCH_TOTALS = `WITH t AS (SELECT * FROM ${unnestOf(BATCH_TYPES, B)}
    AS u(id, attempts, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_usd, unpriced, last_at)),
  locked AS MATERIALIZED (SELECT id FROM batches WHERE id IN (SELECT id FROM t) ORDER BY id FOR NO KEY UPDATE)
  UPDATE batches b SET attempts = b.attempts + t.attempts, input_tokens = b.input_tokens + t.input_tokens,
    output_tokens = b.output_tokens + t.output_tokens, cached_input_tokens = b.cached_input_tokens + t.cached_input_tokens,
    cache_write_tokens = b.cache_write_tokens + t.cache_write_tokens, cost_usd = b.cost_usd + t.cost_usd,
    unpriced_attempts = b.unpriced_attempts + t.unpriced, settled_at = greatest(coalesce(b.settled_at, 0), t.last_at)
  FROM t JOIN locked USING (id) WHERE b.id = t.id`

const UPSERT_TAGS = `INSERT INTO tag_rollups (resolution, bucket, tag, attempts, input_tokens, output_tokens, cost_usd, unpriced, cached_input_tokens, cache_write_tokens)
  SELECT * FROM ${unnestOf(TAG_TYPES, T)} ORDER BY 1, 2, 3
  ON CONFLICT (resolution, bucket, tag) DO UPDATE SET attempts = tag_rollups.attempts + excluded.attempts,
    input_tokens = tag_rollups.input_tokens + excluded.input_tokens, output_tokens = tag_rollups.output_tokens + excluded.output_tokens,
    cost_usd = tag_rollups.cost_usd + excluded.cost_usd, unpriced = tag_rollups.unpriced + excluded.unpriced,
    cached_input_tokens = tag_rollups.cached_input_tokens + excluded.cached_input_tokens,
    cache_write_tokens = tag_rollups.cache_write_tokens + excluded.cache_write_tokens`

/** Adds to metric_totals: parameters $first.. are the columns of TotalRow, one row a key. */
export const totalsUpsert = (first: number) => `INSERT INTO metric_totals (metric, provider, model, detail, n)
  SELECT * FROM ${unnestOf(TOTAL_TYPES, first)} ORDER BY 1, 2, 3, 4
  ON CONFLICT (metric, provider, model, detail) DO UPDATE SET n = metric_totals.n + excluded.n`

const RECORD_USAGE = `WITH rolled AS (${UPSERT_ROLLUPS}),
  batch_figures AS (${BATCH_TOTALS}),
  tagged AS (${UPSERT_TAGS}),
  totalled AS (${totalsUpsert(M)})
  SELECT 1`

/** A metric_totals row: [metric, provider, model ('' for none), detail, n]. */
export type TotalRow = [metric: TotalMetric, provider: string, model: string, detail: string, n: number]

/** metric_totals rows as parameters of totalsUpsert: one array a column. */
export function totalsParams(rows: readonly TotalRow[]): unknown[][] {
  return columnsOf(rows, TOTAL_TYPES.length)
}

/** Adds to the store's totals; each key once in `rows`. */
export async function addTotals(client: pg.ClientBase, rows: readonly TotalRow[]): Promise<void> {
  if (rows.length > 0) await client.query(totalsUpsert(1), totalsParams(rows))
}

/** Adds committed attempts to the rollups, their batches' figures, their tags' rows and the attempts total; call inside the settle's transaction. */
export async function recordUsage(client: pg.ClientBase, attempts: readonly SettledAttempt[]): Promise<void> {
  if (attempts.length === 0) return
  const { rows, batches } = groupUsage(attempts)
  const batchRows = [...batches].map(([id, s]) => [
    id,
    s.attempts,
    s.inputTokens,
    s.outputTokens,
    s.cachedInputTokens,
    s.cacheWriteTokens,
    s.costUsd,
    s.unpriced,
    s.lastAt,
  ])
  // By failure category, which the rollups do not keep: what genops_attempts_total reads.
  const attemptTotals = attemptsTally(attempts)
    .rows()
    .map((row): TotalRow => ['attempts', ...row])
  await client.query(RECORD_USAGE, [
    ...columnsOf(
      rows.map(({ key, sums }) => [...key, ...counts(sums)]),
      ROLLUP_TYPES.length,
    ),
    ...columnsOf(batchRows, BATCH_TYPES.length),
    ...columnsOf(groupTagUsage(attempts), TAG_TYPES.length),
    ...totalsParams(attemptTotals),
  ])
}
