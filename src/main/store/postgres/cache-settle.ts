/**
 * The response cache's writes inside a settle's transaction on PostgreSQL, as the SQLite
 * store's cache-settle.ts: a completed attempt's answer is kept in the commit that completes
 * its job (the first answer for a key stays), a hit is counted in the commit that completes
 * the job it answered, and the totals row takes one write a settle.
 */
import type pg from 'pg'
import type { CacheNote } from '../../cache/store'
import type { CachedAnswer } from '../sqlite/cache-settle'
import { columnsOf, unnestOf } from './columns'

const ENTRY_TYPES = ['text', 'text', 'text', 'text', 'integer', 'integer', 'integer', 'integer', 'double precision', 'bigint', 'bigint', 'bigint']
const KEEP = `INSERT INTO response_cache (key, provider_kind, model, output, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
    cost_usd, source_job_id, created_at, bytes)
  SELECT * FROM ${unnestOf(ENTRY_TYPES, 1)} ORDER BY 1
  ON CONFLICT (key) DO NOTHING
  RETURNING bytes`

// The hit entries are locked in key order before they are written: an UPDATE ... FROM joins in no promised order.
const HITS = `WITH h AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::double precision[], $4::bigint[]) AS u(key, hits, saved_usd, at)),
  locked AS MATERIALIZED (SELECT key FROM response_cache WHERE key IN (SELECT key FROM h) ORDER BY key FOR NO KEY UPDATE),
  hit AS (
    UPDATE response_cache r SET hits = r.hits + h.hits, saved_usd = r.saved_usd + h.saved_usd, last_hit_at = h.at
    FROM h JOIN locked USING (key) WHERE r.key = h.key)
  UPDATE response_cache_totals SET entries = entries + $5, bytes = bytes + $6, hits = hits + $7, saved_usd = saved_usd + $8 WHERE id = 1`

/** Per settle: answers to keep and hits to count, written by `flush` once the settle's loop is done. */
export class CacheWrites {
  private readonly entries = new Map<string, unknown[]>()
  private readonly hits = new Map<string, { hits: number; savedUsd: number; at: number }>()

  note(note: CacheNote, answer: CachedAnswer): void {
    if ('hit' in note) {
      const hit = this.hits.get(note.key) ?? { hits: 0, savedUsd: 0, at: answer.at }
      this.hits.set(note.key, { hits: hit.hits + 1, savedUsd: hit.savedUsd + (note.savedUsd ?? 0), at: answer.at })
      return
    }
    // Two identical attempts settled together keep the first answer, as one by one would.
    if (this.entries.has(note.key)) return
    this.entries.set(note.key, [
      note.key,
      answer.kind ?? '',
      answer.model,
      answer.output,
      answer.inputTokens,
      answer.outputTokens,
      answer.cachedInputTokens ?? 0,
      answer.cacheWriteTokens ?? 0,
      answer.costUsd,
      answer.jobId,
      answer.at,
      Buffer.byteLength(answer.output),
    ])
  }

  /** Once, after the settle's loop, inside its transaction. */
  async flush(client: pg.ClientBase): Promise<void> {
    let entries = 0
    let bytes = 0
    if (this.entries.size > 0) {
      const { rows } = await client.query<{ bytes: number }>(KEEP, columnsOf([...this.entries.values()], ENTRY_TYPES.length))
      entries = rows.length
      for (const row of rows) bytes += row.bytes
    }
    if (entries === 0 && this.hits.size === 0) return
    const hits = [...this.hits].sort(([a], [b]) => (a < b ? -1 : 1))
    let savedUsd = 0
    let count = 0
    for (const [, hit] of hits) {
      savedUsd += hit.savedUsd
      count += hit.hits
    }
    await client.query(HITS, [
      hits.map(([key]) => key),
      hits.map(([, hit]) => hit.hits),
      hits.map(([, hit]) => hit.savedUsd),
      hits.map(([, hit]) => hit.at),
      entries,
      bytes,
      count,
      savedUsd,
    ])
  }
}
