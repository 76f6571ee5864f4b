/**
 * Usage by tag: settle adds each attempt to its job's tags' hourly and daily rows, grouped
 * in JS first (tag-groups.ts), one upsert a row. The cost report by tag reads these, a range
 * of the primary key, like the other reports.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'
import { groupTagUsage, type TaggedAttempt } from './tag-groups'

export { NO_TAG, tagsOf, type TaggedAttempt } from './tag-groups'

const UPSERT = `INSERT INTO tag_rollups (resolution, bucket, tag, attempts, input_tokens, output_tokens, cost_usd, unpriced, cached_input_tokens, cache_write_tokens)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (resolution, bucket, tag) DO UPDATE SET attempts = attempts + excluded.attempts, input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd, unpriced = unpriced + excluded.unpriced,
    cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens, cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens`

/** Adds settled attempts to their tags' rows; call inside the settle transaction. */
export function recordTagUsage(db: Database, attempts: readonly TaggedAttempt[]): void {
  const upsert = sql(db, UPSERT)
  for (const row of groupTagUsage(attempts)) upsert.run(...row)
}
