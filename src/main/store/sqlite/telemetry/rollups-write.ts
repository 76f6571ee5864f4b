/**
 * Writing the rollups. Settle hands over the attempts it committed; they are grouped here
 * in JS (usage-groups.ts) by resolution, bucket, provider and model (and by resolution and bucket
 * alone, for the all-providers row the unfiltered series read), then written with one upsert a group
 * (a settle of a thousand results in one second is a handful of statements), plus one
 * update a batch for its running totals. Depth samples and pruning run on the engine's timer.
 */
import type { Database } from 'better-sqlite3'
import type { QueueStats } from '../../../../shared/jobs'
import { RESOLUTION_KEPT_MS, RESOLUTION_MS, RESOLUTIONS } from '../../../../shared/costs'
import { sql } from '../db/connection'
import { countAttempts } from './metric-totals'
import { bucketStart, keptFrom, RESOLUTION_WIDTHS } from '../../../telemetry/rollups'
import { recordTagUsage } from './tag-rollups'
import { counts, COUNTS, groupUsage, KEY, type SettledAttempt } from './usage-groups'

export type { SettledAttempt } from './usage-groups'

export const UPSERT_ROLLUP = `INSERT INTO usage_rollups (${[...KEY, ...COUNTS].join(', ')}) VALUES (${[...KEY, ...COUNTS].map(() => '?').join(', ')})
  ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET ${COUNTS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`

const BATCH_TOTALS = `UPDATE batches SET attempts = attempts + ?, input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
    cached_input_tokens = cached_input_tokens + ?, cache_write_tokens = cache_write_tokens + ?, cost_usd = cost_usd + ?, unpriced_attempts = unpriced_attempts + ?, settled_at = max(ifnull(settled_at, 0), ?)
  WHERE id = ?`

/** Adds committed attempts to the rollups and their batches' totals; call inside the settle transaction. */
export function recordUsage(db: Database, attempts: readonly SettledAttempt[]): void {
  if (attempts.length === 0) return
  const { rows, batches } = groupUsage(attempts)
  const upsert = sql(db, UPSERT_ROLLUP)
  for (const { key, sums } of rows) upsert.run(...key, ...counts(sums))
  const batchTotals = sql(db, BATCH_TOTALS)
  for (const [id, sums] of batches) {
    batchTotals.run(
      sums.attempts,
      sums.inputTokens,
      sums.outputTokens,
      sums.cachedInputTokens,
      sums.cacheWriteTokens,
      sums.costUsd,
      sums.unpriced,
      sums.lastAt,
      id,
    )
  }
  recordTagUsage(db, attempts)
  // By failure category, which the rollups do not keep: what genops_attempts_total reads.
  countAttempts(db, attempts)
}

// In the order of shared/costs' depth fields, which the series reads back by position.
export const DEPTH_STATES = ['queued', 'delayed', 'active', 'completed', 'dead', 'cancelled', 'submitted'] as const
const UPSERT_DEPTH = `INSERT INTO depth_samples (resolution, bucket, samples, ${DEPTH_STATES.join(', ')}) VALUES (?, ?, 1, ${DEPTH_STATES.map(() => '?').join(', ')})
  ON CONFLICT (resolution, bucket) DO UPDATE SET samples = samples + 1, ${DEPTH_STATES.map((s) => `${s} = ${s} + excluded.${s}`).join(', ')}`

/** Adds one sample of the queue's depth by state to every resolution. */
export function sampleDepth(db: Database, stats: QueueStats, at: number): void {
  const counts = DEPTH_STATES.map((state) => stats.counts[state])
  const upsert = sql(db, UPSERT_DEPTH)
  db.transaction(() => {
    for (const width of RESOLUTION_WIDTHS) upsert.run(width, bucketStart(at, width), ...counts)
  }).immediate()
}

/** Removes buckets older than their resolution keeps; returns how many rows went. */
export function pruneRollups(db: Database, now: number): number {
  return db
    .transaction(() => {
      let removed = 0
      for (const resolution of RESOLUTIONS) {
        if (!Number.isFinite(RESOLUTION_KEPT_MS[resolution])) continue
        const width = RESOLUTION_MS[resolution]
        const before = keptFrom(resolution, now)
        // A range of the primary key each: a minute's pass deletes a minute's worth of 1-second buckets and reads nothing else.
        removed += sql(db, 'DELETE FROM usage_rollups WHERE resolution = ? AND bucket < ?').run(width, before).changes
        removed += sql(db, 'DELETE FROM depth_samples WHERE resolution = ? AND bucket < ?').run(width, before).changes
        removed += sql(db, 'DELETE FROM tag_rollups WHERE resolution = ? AND bucket < ?').run(width, before).changes
      }
      return removed
    })
    .immediate()
}
