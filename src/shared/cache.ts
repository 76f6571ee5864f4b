/** The response cache as an operator asks of it (`genops cache`, the contract's cacheStats and clearCache). */
import { z } from 'zod'

export const CacheStats = z.object({
  entries: z.number().int(),
  bytes: z.number().int(),
  /** Attempts answered from the cache, ever (a clear does not take them back). */
  hits: z.number().int(),
  /** What those attempts would have cost, in USD, ever. */
  savedUsd: z.number(),
  oldestAt: z.number().int().nullable(),
})
export type CacheStats = z.infer<typeof CacheStats>

/** What a clear removed: how many answers and their bytes. */
export const CacheCleared = z.object({ removed: z.number().int(), bytes: z.number().int() })
export type CacheCleared = z.infer<typeof CacheCleared>
