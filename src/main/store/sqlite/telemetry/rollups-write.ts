/**
 * Writing the rollups. Settle hands over the attempts it committed; they are grouped here
 * in JS by resolution, bucket, provider and model (and by resolution and bucket alone, for
 * the all-providers row the unfiltered series read), then written with one upsert a group
 * (a settle of a thousand results in one second is a handful of statements), plus one
 * update a batch for its running totals. Depth samples and pruning run on the engine's timer.
 */
import type { Database } from 'better-sqlite3'
import type { QueueStats } from '../../../../shared/jobs'
import { RESOLUTION_KEPT_MS, RESOLUTION_MS, RESOLUTIONS } from '../../../../shared/costs'
import { sql } from '../db/connection'
import { countAttempts } from './metric-totals'
import { bucketStart, keptFrom, LATENCY_BUCKETS, LATENCY_COLUMNS, latencyBucket, RESOLUTION_WIDTHS } from '../../../telemetry/rollups'
import { recordTagUsage, type TaggedAttempt } from './tag-rollups'

/** An attempt settle committed, as the rollups count it. */
export interface SettledAttempt extends TaggedAttempt {
  /** The job's provider name: a profile or a provider kind. */
  provider: string
  /** The provider kind it resolved to ('' when not known). */
  kind: string
  model: string | null
  batchId: number | null
  /**
   * failed: failed and back in the queue; dead: failed for good; cancelled: a line the provider answered (and bills) after
   * the operator cancelled its job: its tokens and cost count, it is neither a completion nor a failure.
   */
  outcome: 'completed' | 'failed' | 'dead' | 'cancelled'
  /** A failure's category (a stall is TIMEOUT), for genops_attempts_total; none for a completed attempt. */
  category?: string | undefined
  durationMs: number
  /** Answered from the response cache: no provider call, so no generation time to count. */
  cached?: boolean | undefined
}

interface Sums {
  attempts: number
  completed: number
  failed: number
  dead: number
  inputTokens: number
  outputTokens: number
  cachedInputTokens: number
  cacheWriteTokens: number
  costUsd: number
  unpriced: number
  latency: number[] | null
}

const newSums = (): Sums => ({
  attempts: 0,
  completed: 0,
  failed: 0,
  dead: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
  unpriced: 0,
  latency: null,
})

function add(sums: Sums, attempt: SettledAttempt, latencyBucketIndex: number): void {
  sums.attempts++
  if (attempt.outcome !== 'cancelled') sums[attempt.outcome]++
  sums.inputTokens += attempt.inputTokens ?? 0
  sums.outputTokens += attempt.outputTokens ?? 0
  sums.cachedInputTokens += attempt.cachedInputTokens ?? 0
  sums.cacheWriteTokens += attempt.cacheWriteTokens ?? 0
  if (attempt.costUsd === null) sums.unpriced++
  else sums.costUsd += attempt.costUsd
  // Latency is that of completed attempts: a failure's duration (a timeout, a refused key) says nothing about generation time.
  if (attempt.outcome === 'completed' && !attempt.cached) (sums.latency ??= new Array<number>(LATENCY_BUCKETS).fill(0))[latencyBucketIndex]!++
}

/** The provider, kind and model of a bucket's row for every provider and model together: no job's provider is empty. */
export const ALL = ['', '', ''] as const

const COUNTS = [
  'attempts',
  'completed',
  'failed',
  'dead',
  'input_tokens',
  'output_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'cost_usd',
  'unpriced',
  ...LATENCY_COLUMNS,
]
const KEY = ['resolution', 'bucket', 'provider', 'provider_kind', 'model']
export const UPSERT_ROLLUP = `INSERT INTO usage_rollups (${[...KEY, ...COUNTS].join(', ')}) VALUES (${[...KEY, ...COUNTS].map(() => '?').join(', ')})
  ON CONFLICT (${KEY.join(', ')}) DO UPDATE SET ${COUNTS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`

const BATCH_TOTALS = `UPDATE batches SET attempts = attempts + ?, input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
    cached_input_tokens = cached_input_tokens + ?, cache_write_tokens = cache_write_tokens + ?, cost_usd = cost_usd + ?, unpriced_attempts = unpriced_attempts + ?, settled_at = max(ifnull(settled_at, 0), ?)
  WHERE id = ?`

/** Adds one group's sums into another's. */
function merge(into: Sums, from: Sums): void {
  into.attempts += from.attempts
  into.completed += from.completed
  into.failed += from.failed
  into.dead += from.dead
  into.inputTokens += from.inputTokens
  into.outputTokens += from.outputTokens
  into.cachedInputTokens += from.cachedInputTokens
  into.cacheWriteTokens += from.cacheWriteTokens
  into.costUsd += from.costUsd
  into.unpriced += from.unpriced
  if (from.latency) {
    const latency = (into.latency ??= new Array<number>(LATENCY_BUCKETS).fill(0))
    for (let i = 0; i < LATENCY_BUCKETS; i++) latency[i]! += from.latency[i]!
  }
}

type RowKey = [resolution: number, bucket: number, provider: string, kind: string, model: string]

/** Adds committed attempts to the rollups and their batches' totals; call inside the settle transaction. */
export function recordUsage(db: Database, attempts: readonly SettledAttempt[]): void {
  if (attempts.length === 0) return
  // First by second, provider and model: a settle's attempts end within a few seconds, so a thousand results are a handful of groups.
  const seconds = new Map<string, { key: RowKey; sums: Sums }>()
  const batches = new Map<number, Sums & { lastAt: number }>()
  for (const attempt of attempts) {
    const second = bucketStart(attempt.endedAt, RESOLUTION_WIDTHS[0]!)
    const model = attempt.model ?? ''
    const id = `${second}\u0000${attempt.provider}\u0000${attempt.kind}\u0000${model}`
    let group = seconds.get(id)
    if (!group) seconds.set(id, (group = { key: [RESOLUTION_WIDTHS[0]!, second, attempt.provider, attempt.kind, model], sums: newSums() }))
    const latency = latencyBucket(attempt.durationMs)
    add(group.sums, attempt, latency)
    if (attempt.batchId !== null) {
      let batch = batches.get(attempt.batchId)
      if (!batch) batches.set(attempt.batchId, (batch = { ...newSums(), lastAt: 0 }))
      add(batch, attempt, latency)
      batch.lastAt = Math.max(batch.lastAt, attempt.endedAt)
    }
  }
  // Then each into its bucket at every resolution, and into the bucket's row for all providers and models together.
  const rows = new Map<string, { key: RowKey; sums: Sums }>()
  for (const { key, sums } of seconds.values()) {
    const [, second, provider, kind, model] = key
    for (const width of RESOLUTION_WIDTHS) {
      const bucket = bucketStart(second, width)
      for (const rowKey of [
        [width, bucket, provider, kind, model],
        [width, bucket, ...ALL],
      ] as RowKey[]) {
        const id = rowKey.join('\u0000')
        let row = rows.get(id)
        if (!row) rows.set(id, (row = { key: rowKey, sums: newSums() }))
        merge(row.sums, sums)
      }
    }
  }
  const upsert = sql(db, UPSERT_ROLLUP)
  for (const { key, sums } of rows.values()) upsert.run(...key, ...counts(sums))
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

const NO_LATENCY: readonly number[] = new Array<number>(LATENCY_BUCKETS).fill(0)

/** The values of COUNTS, in order. */
const counts = (sums: Sums): number[] => [
  sums.attempts,
  sums.completed,
  sums.failed,
  sums.dead,
  sums.inputTokens,
  sums.outputTokens,
  sums.cachedInputTokens,
  sums.cacheWriteTokens,
  sums.costUsd,
  sums.unpriced,
  ...(sums.latency ?? NO_LATENCY),
]

// In the order of shared/costs' depth fields, which the series reads back by position.
const DEPTH_STATES = ['queued', 'delayed', 'active', 'completed', 'dead', 'cancelled', 'submitted'] as const
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
