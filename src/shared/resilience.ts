/**
 * What the resilience layer shows and takes: breakers, provider limits and pauses. Pure
 * TypeScript and zod, shared by the engine, the CLI and the screens.
 */
import { z } from 'zod'

export const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const
export const BreakerState = z.enum(BREAKER_STATES)
export type BreakerState = z.infer<typeof BreakerState>

/** Attempt failures that say the provider is in trouble; the job's own faults (VALIDATION) and AUTH do not trip a breaker. */
export const BREAKER_CATEGORIES: ReadonlySet<string> = new Set(['TIMEOUT', 'RATE_LIMIT', 'SERVICE_UNAVAILABLE', 'NETWORK', 'PROVIDER'])

export const BreakerTransition = z.object({
  at: z.number(),
  from: z.string(),
  to: BreakerState,
  openUntil: z.number().nullable(),
  reason: z.string().nullable(),
})
export type BreakerTransition = z.infer<typeof BreakerTransition>

/** How far back a breaker's recent counts go. */
export const RECENT_BREAKER_MS = 5 * 60_000

export const BreakerInfo = z.object({
  /** `provider/model`, or the provider alone when jobs name no model. */
  name: z.string(),
  state: BreakerState,
  /** While open: when the next probe may go. */
  openUntil: z.number().nullable(),
  since: z.number(),
  reason: z.string().nullable(),
  /** Newest first. */
  transitions: z.array(BreakerTransition),
  /** How many of its attempts may run at once as learned now, under its ceiling; null when this engine has not run it. */
  concurrency: z.object({ limit: z.number().int(), ceiling: z.number().int() }).nullable().optional(),
  /** Its attempts over the last RECENT_BREAKER_MS, whoever ran them: ok, and failed (retried or dead). */
  recent: z.object({ ok: z.number().int(), failed: z.number().int() }).optional(),
})
export type BreakerInfo = z.infer<typeof BreakerInfo>

/** The length of the requests- and tokens-per-minute windows unless the engine is configured otherwise (drills compress it). */
export const RATE_WINDOW_MS = 60_000

/** Per provider profile: what the scheduler may start. Each is optional: no limit when absent. */
export const ProviderLimits = z
  .object({
    requestsPerMinute: z.number().int().positive().max(1_000_000).optional(),
    /** Estimated before the call (prompt characters / 4 plus the job's maxTokens), corrected with the real usage after. */
    tokensPerMinute: z.number().int().positive().max(1_000_000_000).optional(),
    maxConcurrent: z.number().int().positive().max(10_000).optional(),
  })
  .strict()
export type ProviderLimits = z.infer<typeof ProviderLimits>

export const ProviderPause = z.object({ provider: z.string(), reason: z.string(), pausedAt: z.number() })
export type ProviderPause = z.infer<typeof ProviderPause>

/** The breaker a job's attempts feed: one per provider (or profile) and model. */
export function breakerName(provider: string, model: string | null | undefined): string {
  return model ? `${provider}/${model}` : provider
}
