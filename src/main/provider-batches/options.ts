/**
 * The batch lane's options, checked when the engine is made. The providers' limits are the
 * published ones (OpenAI: 50,000 requests or 200 MB a file; Anthropic: 100,000 requests or
 * 256 MB a batch); tests and drills set smaller ones to see a split.
 */
import { z } from 'zod'

const positive = (name: string) =>
  z
    .number({ error: `batchLane.${name} must be a number` })
    .int(`batchLane.${name} must be a positive integer`)
    .positive(`batchLane.${name} must be a positive integer`)

const MB = 1024 * 1024

const Limit = (requests: number, bytes: number, kind: string) =>
  z
    .object({ maxRequests: positive(`limits.${kind}.maxRequests`), maxBytes: positive(`limits.${kind}.maxBytes`) })
    .default({ maxRequests: requests, maxBytes: bytes })

export const BatchLaneConfig = z.object({
  /** How often queued batch-lane jobs are gathered into provider batches. Default 10 s: jobs of one drop go together. */
  gatherMs: positive('gatherMs').default(10_000),
  /** Most jobs one gather looks at (they go in as many provider batches as the limits make). Default 100,000. */
  gatherLimit: positive('gatherLimit').default(100_000),
  /** The first poll of a provider batch comes this long after its upload; each later one waits twice as long, up to `pollMaxMs`. */
  pollMinMs: positive('pollMinMs').default(5_000),
  /** Default 5 minutes: a batch takes up to a day, most finish within the hour. */
  pollMaxMs: positive('pollMaxMs').default(300_000),
  /** How often the lane looks for a batch whose next poll is due. Default 1 s. */
  tickMs: positive('tickMs').default(1_000),
  /** How long an engine's hold on a batch it polls lasts without renewal: another engine takes over past it. Default 2 minutes. */
  leaseMs: positive('leaseMs').default(120_000),
  /** Lines built (and results settled) per slice of the main thread. Default 500. */
  sliceLines: positive('sliceLines').default(500),
  limits: z.object({ openai: Limit(50_000, 200 * MB, 'openai'), anthropic: Limit(100_000, 256 * MB, 'anthropic') }).prefault({}),
})
export type BatchLaneConfig = z.output<typeof BatchLaneConfig>

/** When to poll next: twice the last wait, from `pollMinMs` up to `pollMaxMs`. */
export function nextPollDelay(config: Pick<BatchLaneConfig, 'pollMinMs' | 'pollMaxMs'>, polls: number): number {
  return Math.min(config.pollMaxMs, config.pollMinMs * 2 ** Math.min(polls, 30))
}
