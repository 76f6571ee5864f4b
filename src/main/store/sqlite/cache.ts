/** The SQLite store's response cache: lookups by key before dispatch, the totals, and clearing. */
import type { Database } from 'better-sqlite3'
import { sql } from './db/connection'
import type { CacheEntry, CacheStats, ResponseCacheStore } from '../../cache/store'

/** Keys a lookup binds at once: well under SQLite's limit of variables, and a claim's whole batch in one statement. */
const KEYS_A_STATEMENT = 256

const FIND = (n: number) =>
  `SELECT key, output, input_tokens AS inputTokens, output_tokens AS outputTokens, cached_input_tokens AS cachedInputTokens,
     cache_write_tokens AS cacheWriteTokens, cost_usd AS costUsd, created_at AS createdAt
   FROM response_cache WHERE key IN (${new Array<string>(n).fill('?').join(', ')})`

// Keys as one JSON array, one bound value whatever their number: an estimate asks about thousands of a file's jobs in one statement.
export const KEPT_KEYS = `SELECT key FROM response_cache WHERE key IN (SELECT value FROM json_each(?))`

const TOTALS = `SELECT entries, bytes, hits, saved_usd AS savedUsd,
    (SELECT min(created_at) FROM response_cache) AS oldestAt FROM response_cache_totals WHERE id = 1`

const CLEAR_BEFORE = `DELETE FROM response_cache WHERE created_at < ? RETURNING bytes`
const CLEAR_ALL = `DELETE FROM response_cache RETURNING bytes`
const LESS = `UPDATE response_cache_totals SET entries = entries - ?, bytes = bytes - ? WHERE id = 1`

export class SqliteResponseCache implements ResponseCacheStore {
  constructor(private readonly db: Database) {}

  find(keys: readonly string[]): Map<string, CacheEntry> {
    const found = new Map<string, CacheEntry>()
    const unique = [...new Set(keys)]
    for (let at = 0; at < unique.length; at += KEYS_A_STATEMENT) {
      const some = unique.slice(at, at + KEYS_A_STATEMENT)
      for (const entry of sql(this.db, FIND(some.length)).all(...some) as CacheEntry[]) found.set(entry.key, entry)
    }
    return found
  }

  kept(keys: readonly string[]): Set<string> {
    if (keys.length === 0) return new Set()
    const unique = JSON.stringify([...new Set(keys)])
    return new Set(sql(this.db, KEPT_KEYS).pluck().all(unique) as string[])
  }

  stats(): CacheStats {
    return sql(this.db, TOTALS).get() as CacheStats
  }

  clear(before?: number): { removed: number; bytes: number } {
    return this.db
      .transaction(() => {
        const rows = (before === undefined ? sql(this.db, CLEAR_ALL).all() : sql(this.db, CLEAR_BEFORE).all(before)) as { bytes: number }[]
        const bytes = rows.reduce((sum, row) => sum + row.bytes, 0)
        sql(this.db, LESS).run(rows.length, bytes)
        return { removed: rows.length, bytes }
      })
      .immediate()
  }
}
