/**
 * The response cache as the engine sees it: a narrow port of the queue store (like costs
 * and alerts), so a second store can keep the same entries. Entries are written and hit
 * inside settle's own transaction (see sqlite-settle.ts); what is here is what the
 * scheduler reads before dispatch and what an operator asks of it.
 */
import type { CacheCleared, CacheStats } from '../../shared/cache'
import type { TokenUsage } from '../../shared/tokens'

type Awaitable<T> = T | Promise<T>

/** A completed answer kept for requests that hash the same. */
export interface CacheEntry extends TokenUsage {
  key: string
  output: string
  /** What the answer cost when it was made; null when its model had no price. */
  costUsd: number | null
  createdAt: number
}

/**
 * What settle does with a completed attempt's cache key: keep its answer (`made`), or count
 * a hit (`hit`: the attempt was answered from the entry, with what it would have cost).
 */
export type CacheNote = { key: string; made: true } | { key: string; hit: true; savedUsd: number | null }

export type { CacheStats } from '../../shared/cache'

export interface ResponseCacheStore {
  /** The entries kept for these keys, by key. */
  find(keys: readonly string[]): Awaitable<Map<string, CacheEntry>>
  /** Which of these keys have an entry, in one statement however many: an estimate's cached share. */
  kept(keys: readonly string[]): Awaitable<Set<string>>
  stats(): Awaitable<CacheStats>
  /** Removes the entries made before `before` (every entry when undefined); returns how many and their bytes. */
  clear(before?: number): Awaitable<CacheCleared>
}
