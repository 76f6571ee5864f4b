/** The SQLite store's metric totals and exporter lease (migration 0021). */
import type { Database } from 'better-sqlite3'
import { RESOLUTION_MS } from '../../../shared/costs'
import { sql } from './db/connection'
import type { CacheTotals, CountTotal, MetricStore, StoreTotals, UsageTotal } from '../../telemetry/metric-store'

/**
 * The day rows of every provider and model (provider '' is the all-providers row, left
 * out): a range of the primary key, a row a day and model, so a year of twenty models is
 * a few thousand rows whatever the number of jobs.
 */
export const USAGE_TOTALS = `SELECT provider, model, sum(input_tokens) AS inputTokens,
    sum(output_tokens) AS outputTokens, sum(cached_input_tokens) AS cachedInputTokens, sum(cache_write_tokens) AS cacheWriteTokens, sum(cost_usd) AS costUsd
  FROM usage_rollups WHERE resolution = ? AND provider <> '' GROUP BY provider, model`

const COUNT_TOTALS = 'SELECT metric, provider, model, detail, n FROM metric_totals'
const CACHE_TOTALS = 'SELECT entries, bytes, hits, saved_usd AS savedUsd FROM response_cache_totals WHERE id = 1'

const LEASE = 'SELECT owner, expires_at AS expiresAt FROM exporter_lease WHERE id = 1'
const TAKE_LEASE = `INSERT INTO exporter_lease (id, owner, expires_at) VALUES (1, @owner, @until)
  ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
  WHERE exporter_lease.owner = excluded.owner OR exporter_lease.expires_at <= @now`

export class SqliteMetricStore implements MetricStore {
  constructor(private readonly db: Database) {}

  totals(): StoreTotals {
    // One read transaction: the rollups and the totals of the same commits.
    return this.db.transaction(() => ({
      usage: sql(this.db, USAGE_TOTALS).all(RESOLUTION_MS['1d']) as UsageTotal[],
      counts: sql(this.db, COUNT_TOTALS).all() as CountTotal[],
      cache: sql(this.db, CACHE_TOTALS).get() as CacheTotals | undefined,
    }))()
  }

  takeExporterLease(owner: string, now: number, until: number): boolean {
    const lease = sql(this.db, LEASE).get() as { owner: string; expiresAt: number } | undefined
    // Held by another and still alive: a read, no write lock taken, at every scrape of a standby engine.
    if (lease && lease.owner !== owner && lease.expiresAt > now) return false
    return sql(this.db, TAKE_LEASE).run({ owner, now, until }).changes === 1
  }

  releaseExporterLease(owner: string): void {
    sql(this.db, 'DELETE FROM exporter_lease WHERE owner = ?').run(owner)
  }
}
