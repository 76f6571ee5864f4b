/**
 * Usage by tag: settle adds each attempt to its job's tags' hourly and daily rows, grouped
 * in JS first (a settle's attempts share a handful of tags and an hour), one upsert a row.
 * The cost report by tag reads these, a range of the primary key, like the other reports.
 */
import type { Database } from 'better-sqlite3'
import { RESOLUTION_MS } from '../../../../shared/costs'
import type { TokenUsage } from '../../../../shared/tokens'
import { sql } from '../db/connection'
import { bucketStart } from '../../../telemetry/rollups'

/** What a job with no tags (or a tags value that does not parse) counts under. */
export const NO_TAG = '(no tag)'

/** The resolutions the cost report reads: hours within their 90 days, days beyond. */
const TAG_WIDTHS = [RESOLUTION_MS['1h'], RESOLUTION_MS['1d']] as const

export interface TaggedAttempt extends TokenUsage {
  endedAt: number
  /** The job's tags as stored (JSON text), or null. */
  tags: string | null
  /** Null when the attempt used tokens of a model with no price. */
  costUsd: number | null
}

const UPSERT = `INSERT INTO tag_rollups (resolution, bucket, tag, attempts, input_tokens, output_tokens, cost_usd, unpriced, cached_input_tokens, cache_write_tokens)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (resolution, bucket, tag) DO UPDATE SET attempts = attempts + excluded.attempts, input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd, unpriced = unpriced + excluded.unpriced,
    cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens, cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens`

/** A job's tags; a damaged value counts as none rather than failing the settle it is part of. */
export function tagsOf(stored: string | null): string[] {
  if (stored === null) return [NO_TAG]
  try {
    const tags: unknown = JSON.parse(stored)
    const strings = Array.isArray(tags) ? [...new Set(tags.filter((tag): tag is string => typeof tag === 'string'))] : []
    return strings.length > 0 ? strings : [NO_TAG]
  } catch {
    return [NO_TAG]
  }
}

/** Adds settled attempts to their tags' rows; call inside the settle transaction. */
export function recordTagUsage(db: Database, attempts: readonly TaggedAttempt[]): void {
  type Row = [
    width: number,
    bucket: number,
    tag: string,
    attempts: number,
    input: number,
    output: number,
    usd: number,
    unpriced: number,
    cached: number,
    written: number,
  ]
  const rows = new Map<string, Row>()
  // Jobs of one batch share one tags value: parse each value once a settle.
  const parsed = new Map<string | null, string[]>()
  for (const attempt of attempts) {
    let tags = parsed.get(attempt.tags)
    if (!tags) parsed.set(attempt.tags, (tags = tagsOf(attempt.tags)))
    for (const width of TAG_WIDTHS) {
      const bucket = bucketStart(attempt.endedAt, width)
      for (const tag of tags) {
        const id = `${width}\u0000${bucket}\u0000${tag}`
        let row = rows.get(id)
        if (!row) rows.set(id, (row = [width, bucket, tag, 0, 0, 0, 0, 0, 0, 0]))
        row[3]++
        row[4] += attempt.inputTokens ?? 0
        row[5] += attempt.outputTokens ?? 0
        row[8] += attempt.cachedInputTokens ?? 0
        row[9] += attempt.cacheWriteTokens ?? 0
        if (attempt.costUsd === null) row[7]++
        else row[6] += attempt.costUsd
      }
    }
  }
  const upsert = sql(db, UPSERT)
  for (const row of rows.values()) upsert.run(...row)
}
