/** The response cache on PostgreSQL: lookups by key before dispatch, the totals, and clearing (store/sqlite/cache.ts). */
import type pg from 'pg'
import type { CacheEntry, CacheStats, ResponseCacheStore } from '../../cache/store'
import { inTransaction } from './transaction'

// Keys as one array, one bound value whatever their number.
const FIND = `SELECT key, output, input_tokens AS "inputTokens", output_tokens AS "outputTokens", cached_input_tokens AS "cachedInputTokens",
    cache_write_tokens AS "cacheWriteTokens", cost_usd AS "costUsd", created_at AS "createdAt"
  FROM response_cache WHERE key = ANY($1::text[])`

export const KEPT_KEYS = 'SELECT key FROM response_cache WHERE key = ANY($1::text[])'

const TOTALS = `SELECT entries, bytes, hits, saved_usd AS "savedUsd",
    (SELECT min(created_at) FROM response_cache) AS "oldestAt" FROM response_cache_totals WHERE id = 1`

const CLEAR_BEFORE = 'DELETE FROM response_cache WHERE created_at < $1 RETURNING bytes'
const CLEAR_ALL = 'DELETE FROM response_cache RETURNING bytes'
const LESS = 'UPDATE response_cache_totals SET entries = entries - $1, bytes = bytes - $2 WHERE id = 1'

export class PostgresResponseCacheStore implements ResponseCacheStore {
  constructor(private readonly pool: pg.Pool) {}

  async find(keys: readonly string[]): Promise<Map<string, CacheEntry>> {
    if (keys.length === 0) return new Map()
    const { rows } = await this.pool.query<CacheEntry>(FIND, [[...new Set(keys)]])
    return new Map(rows.map((entry) => [entry.key, entry]))
  }

  async kept(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set()
    const { rows } = await this.pool.query<{ key: string }>(KEPT_KEYS, [[...new Set(keys)]])
    return new Set(rows.map((row) => row.key))
  }

  async stats(): Promise<CacheStats> {
    return (await this.pool.query<CacheStats>(TOTALS)).rows[0]!
  }

  clear(before?: number): Promise<{ removed: number; bytes: number }> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = before === undefined ? await client.query<{ bytes: number }>(CLEAR_ALL) : await client.query<{ bytes: number }>(CLEAR_BEFORE, [before])
      const bytes = rows.reduce((sum, row) => sum + row.bytes, 0)
      await client.query(LESS, [rows.length, bytes])
      return { removed: rows.length, bytes }
    })
  }
}
