/**
 * What a running engine does for the rollups besides settling: samples the queue's depth
 * by state every few seconds (the counts are maintained, so a sample is two reads and one
 * small write), and prunes buckets past their resolution's keep, on timers like the
 * scheduler's retention.
 */
import type { QueueStore } from '../queue/store'

export interface RollupKeeperOptions {
  /** How often queue depth is sampled. */
  sampleMs: number
  /** How often old buckets are pruned. */
  pruneMs: number
}

export const DEFAULT_ROLLUP_KEEPER: RollupKeeperOptions = { sampleMs: 5_000, pruneMs: 60_000 }

export function startRollupKeeper(store: QueueStore, options: RollupKeeperOptions, onError: (error: unknown, during: string) => void): { stop(): void } {
  const sample = async () => {
    const now = Date.now()
    await store.costs.sampleDepth(await store.stats(now), now)
  }
  const prune = async () => void (await store.costs.pruneRollups(Date.now()))
  const every = (ms: number, task: () => Promise<void>, during: string) => {
    const timer = setInterval(() => void task().catch((error: unknown) => onError(error, during)), ms)
    timer.unref()
    return timer
  }
  const timers = [every(options.sampleMs, sample, 'sampling queue depth'), every(options.pruneMs, prune, 'pruning rollups')]
  // The first sample at once, so a chart has a point from the start; pruning catches up after a long stop.
  void sample().catch((error: unknown) => onError(error, 'sampling queue depth'))
  void prune().catch((error: unknown) => onError(error, 'pruning rollups'))
  return { stop: () => timers.forEach((timer) => clearInterval(timer)) }
}
