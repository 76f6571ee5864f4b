/**
 * The shape of the rollups: usage and latency per time bucket, provider and model, at four
 * resolutions, so the dashboard's series and the cost reports answer from a few thousand
 * rows instead of scanning a million jobs, and survive job retention. Latency is kept as a
 * histogram with fixed log-spaced buckets (five a decade, the R5 series: 1, 1.6, 2.5, 4,
 * 6.3 ms ...): histograms add across time and providers, where percentiles do not, and a
 * percentile read back from one is within about a quarter of the bucket's width.
 */
import { RESOLUTION_KEPT_MS, RESOLUTION_MS, RESOLUTIONS, type Resolution } from '../../shared/costs'

/** Upper bounds of the latency buckets in ms: 10^(k/5) for k = 0..30, 1 ms to 1,000 s; one more bucket holds the rest. */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 31 }, (_, k) => 10 ** (k / 5))
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1
export const LATENCY_COLUMNS: readonly string[] = Array.from({ length: LATENCY_BUCKETS }, (_, i) => `lat_${i}`)

/** Which latency bucket a duration falls in. */
export function latencyBucket(ms: number): number {
  if (!(ms > 1)) return 0
  // The small epsilon keeps an exact bound (10 ms) in its own bucket despite floating point.
  return Math.min(LATENCY_BUCKETS - 1, Math.ceil(5 * Math.log10(ms) - 1e-9))
}

/**
 * The q-quantiles (0 < q < 1, ascending) of a latency histogram, each interpolated
 * geometrically within its bucket, in one pass; nulls when the histogram is empty. The
 * overflow bucket answers its lower bound.
 */
export function percentiles(counts: readonly number[], qs: readonly number[]): (number | null)[] {
  let total = 0
  for (const n of counts) total += n
  if (total === 0) return qs.map(() => null)
  const answers: number[] = []
  let below = 0
  let i = 0
  for (const q of qs) {
    const rank = q * total
    // The first bucket whose count reaches the rank; the next quantile starts from it.
    while (i < counts.length - 1 && (counts[i] === 0 || below + counts[i]! < rank)) below += counts[i++]!
    const n = counts[i]!
    const fraction = n > 0 ? Math.min(1, Math.max(0, (rank - below) / n)) : 1
    if (i === 0) answers.push(fraction * LATENCY_BOUNDS_MS[0]!)
    else if (i >= LATENCY_BOUNDS_MS.length) answers.push(LATENCY_BOUNDS_MS.at(-1)!)
    else {
      const lower = LATENCY_BOUNDS_MS[i - 1]!
      answers.push(lower * (LATENCY_BOUNDS_MS[i]! / lower) ** fraction)
    }
  }
  return answers
}

export const percentile = (counts: readonly number[], q: number): number | null => percentiles(counts, [q])[0]!

/** The start of the bucket `at` falls in (UTC: a day bucket starts at midnight UTC). */
export const bucketStart = (at: number, widthMs: number): number => at - (((at % widthMs) + widthMs) % widthMs)

/** Every resolution's width, finest first: what a settle writes. */
export const RESOLUTION_WIDTHS: readonly number[] = RESOLUTIONS.map((r) => RESOLUTION_MS[r])

export const widthOf = (resolution: Resolution): number => RESOLUTION_MS[resolution]

export const DAY_WIDTH = RESOLUTION_MS['1d']

/** The first bucket of a resolution still kept at `now` (0 for days, kept for good). */
export function keptFrom(resolution: Resolution, now: number): number {
  const kept = RESOLUTION_KEPT_MS[resolution]
  return Number.isFinite(kept) ? bucketStart(now - kept, RESOLUTION_MS[resolution]) : 0
}
