/** The store-wide metric totals and the exporter lease on PostgreSQL (store/sqlite/metric-store.ts): one lease for every engine on the database. */
import type pg from 'pg'
import { RESOLUTION_MS } from '../../../shared/costs'
import type { CacheTotals, CountTotal, MetricStore, StoreTotals, UsageTotal } from '../../telemetry/metric-store'
import { inTransaction } from './transaction'

/** The day rows of every provider and model (the all-providers row, provider '', left out), summed. */
export const USAGE_TOTALS = `SELECT provider, model, sum(input_tokens)::bigint AS "inputTokens", sum(output_tokens)::bigint AS "outputTokens",
    sum(cached_input_tokens)::bigint AS "cachedInputTokens", sum(cache_write_tokens)::bigint AS "cacheWriteTokens", sum(cost_usd) AS "costUsd"
  FROM usage_rollups WHERE resolution = $1 AND provider <> '' GROUP BY provider, model ORDER BY provider COLLATE "C", model COLLATE "C"`

const COUNT_TOTALS =
  'SELECT metric, provider, model, detail, n FROM metric_totals ORDER BY metric COLLATE "C", provider COLLATE "C", model COLLATE "C", detail COLLATE "C"'
const CACHE_TOTALS = 'SELECT entries, bytes, hits, saved_usd AS "savedUsd" FROM response_cache_totals WHERE id = 1'

const LEASE = 'SELECT owner, expires_at AS "expiresAt" FROM exporter_lease WHERE id = 1'
// Taken when free, expired or already this owner's; a racing taker waits on the row and then sees the winner's lease.
const TAKE_LEASE = `INSERT INTO exporter_lease (id, owner, expires_at) VALUES (1, $1, $2)
  ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
  WHERE exporter_lease.owner = excluded.owner OR exporter_lease.expires_at <= $3`

export class PostgresMetricStore implements MetricStore {
  constructor(private readonly pool: pg.Pool) {}

  totals(): Promise<StoreTotals> {
    // One snapshot: the rollups and the totals of the same commits.
    return inTransaction(this.pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
      const usage = (await client.query<UsageTotal>(USAGE_TOTALS, [RESOLUTION_MS['1d']])).rows
      const counts = (await client.query<CountTotal>(COUNT_TOTALS)).rows
      const cache = (await client.query<CacheTotals>(CACHE_TOTALS)).rows[0]
      return { usage, counts, cache }
    })
  }

  async takeExporterLease(owner: string, now: number, until: number): Promise<boolean> {
    const lease = (await this.pool.query<{ owner: string; expiresAt: number }>(LEASE)).rows[0]
    // Held by another and still alive: a read, no row locked, at every scrape of a standby engine.
    if (lease && lease.owner !== owner && lease.expiresAt > now) return false
    return (await this.pool.query(TAKE_LEASE, [owner, until, now])).rowCount === 1
  }

  async releaseExporterLease(owner: string): Promise<void> {
    await this.pool.query('DELETE FROM exporter_lease WHERE owner = $1', [owner])
  }
}
