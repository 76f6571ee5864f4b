/**
 * What settled attempts add to the usage rollups and to their batches' running figures,
 * grouped in JS by resolution, bucket, provider and model (and by resolution and bucket
 * alone, for the all-providers row the unfiltered series read), so that each row takes one
 * upsert whichever store writes it (rollups-write.ts for SQLite, store/postgres/rollups.ts).
 * No SQL here.
 */
import { bucketStart, LATENCY_BUCKETS, LATENCY_COLUMNS, latencyBucket, RESOLUTION_WIDTHS } from '../../../telemetry/rollups'
import type { TaggedAttempt } from './tag-groups'

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

export interface Sums {
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

/** The provider, kind and model of a bucket's row for every provider and model together: no job's provider is empty. */
export const ALL = ['', '', ''] as const

/** A usage_rollups row's counted columns, in the order `counts` gives their values. */
export const COUNTS = [
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
/** A usage_rollups row's key columns, in RowKey's order. */
export const KEY = ['resolution', 'bucket', 'provider', 'provider_kind', 'model']

export type RowKey = [resolution: number, bucket: number, provider: string, kind: string, model: string]

/** A batch's running figures a settle adds, and when its last attempt ended. */
export type BatchSums = Sums & { lastAt: number }

/** Settled attempts grouped: a row per rollup key at every resolution, and sums per batch. */
export function groupUsage(attempts: readonly SettledAttempt[]): { rows: { key: RowKey; sums: Sums }[]; batches: Map<number, BatchSums> } {
  // First by second, provider and model: a settle's attempts end within a few seconds, so a thousand results are a handful of groups.
  const seconds = new Map<string, { key: RowKey; sums: Sums }>()
  const batches = new Map<number, BatchSums>()
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
  return { rows: [...rows.values()], batches }
}

const NO_LATENCY: readonly number[] = new Array<number>(LATENCY_BUCKETS).fill(0)

/** The values of COUNTS, in order. */
export const counts = (sums: Sums): number[] => [
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
