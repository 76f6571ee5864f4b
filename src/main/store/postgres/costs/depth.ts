/** Depth samples and the pruning of old buckets on PostgreSQL, on the engine's timer (store/sqlite/telemetry/rollups-write.ts). */
import type { QueueStats } from '../../../../shared/jobs'
import { RESOLUTION_KEPT_MS, RESOLUTION_MS, RESOLUTIONS } from '../../../../shared/costs'
import { bucketStart, keptFrom, RESOLUTION_WIDTHS } from '../../../telemetry/rollups'
import { DEPTH_STATES } from '../../sqlite/telemetry/rollups-write'
import type { Queryable } from '../transaction'

const PER_ROW = 2 + DEPTH_STATES.length
/** A row's placeholders: its resolution and bucket, one sample, then the counts by state. */
const row = (r: number) => {
  const [width, bucket, ...counts] = Array.from({ length: PER_ROW }, (_, c) => `$${r * PER_ROW + c + 1}`)
  return `(${width}, ${bucket}, 1, ${counts.join(', ')})`
}
// Every resolution's bucket in one statement.
const UPSERT_DEPTH = `INSERT INTO depth_samples (resolution, bucket, samples, ${DEPTH_STATES.join(', ')})
  VALUES ${RESOLUTION_WIDTHS.map((_, r) => row(r)).join(', ')}
  ON CONFLICT (resolution, bucket) DO UPDATE SET samples = depth_samples.samples + 1,
    ${DEPTH_STATES.map((s) => `${s} = depth_samples.${s} + excluded.${s}`).join(', ')}`

/** Adds one sample of the queue's depth by state to every resolution. */
export async function sampleDepth(client: Queryable, stats: QueueStats, at: number): Promise<void> {
  const counts = DEPTH_STATES.map((state) => stats.counts[state])
  await client.query(
    UPSERT_DEPTH,
    RESOLUTION_WIDTHS.flatMap((width) => [width, bucketStart(at, width), ...counts]),
  )
}

/** Removes buckets older than their resolution keeps; returns how many rows went. Run in one transaction. */
export async function pruneRollups(client: Queryable, now: number): Promise<number> {
  let removed = 0
  for (const resolution of RESOLUTIONS) {
    if (!Number.isFinite(RESOLUTION_KEPT_MS[resolution])) continue
    const values = [RESOLUTION_MS[resolution], keptFrom(resolution, now)]
    // A range of the primary key each.
    for (const table of ['usage_rollups', 'depth_samples', 'tag_rollups'])
      removed += (await client.query(`DELETE FROM ${table} WHERE resolution = $1 AND bucket < $2`, values)).rowCount ?? 0
  }
  return removed
}
