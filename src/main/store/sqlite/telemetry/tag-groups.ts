/**
 * Usage by tag as settled attempts add it: each attempt counts in its job's tags' hourly
 * and daily rows, grouped in JS (a settle's attempts share a handful of tags and an hour)
 * so that each row takes one upsert, whichever store writes it (tag-rollups.ts for
 * SQLite, store/postgres/rollups.ts). No SQL here.
 */
import { RESOLUTION_MS } from '../../../../shared/costs'
import type { TokenUsage } from '../../../../shared/tokens'
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

/** A tag_rollups row: its key and what it adds. */
export type TagRow = [
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

/** Settled attempts grouped by resolution, bucket and tag: one row a key. */
export function groupTagUsage(attempts: readonly TaggedAttempt[]): TagRow[] {
  const rows = new Map<string, TagRow>()
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
  return [...rows.values()]
}
