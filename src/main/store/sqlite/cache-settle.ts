/**
 * The response cache's writes inside settle's transaction: a completed attempt's answer is
 * kept in the same commit that completes its job (so an entry never outlives a rolled-back
 * settle), and a hit is counted in the commit that completes the job it answered.
 */
import type { Database } from 'better-sqlite3'
import { sql } from './db/connection'
import type { TokenUsage } from '../../../shared/tokens'
import type { CacheNote } from '../../cache/store'

// The first answer for a key stays: two identical attempts that ran at once keep one entry.
const KEEP = `INSERT INTO response_cache (key, provider_kind, model, output, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,
    cost_usd, source_job_id, created_at, bytes)
  VALUES (@key, @kind, @model, @output, @inputTokens, @outputTokens, @cachedInputTokens, @cacheWriteTokens, @costUsd, @jobId, @at, @bytes)
  ON CONFLICT (key) DO NOTHING`
const HIT = `UPDATE response_cache SET hits = hits + 1, saved_usd = saved_usd + ?, last_hit_at = ? WHERE key = ?`
const TOTALS = `UPDATE response_cache_totals SET entries = entries + ?, bytes = bytes + ?, hits = hits + ?, saved_usd = saved_usd + ? WHERE id = 1`

export interface CachedAnswer extends TokenUsage {
  jobId: number
  kind: string | null
  model: string | null
  output: string
  costUsd: number | null
  at: number
}

/** Per settle: entries kept and hits counted, so the totals row takes one write each. */
export class CacheWrites {
  private entries = 0
  private bytes = 0
  private hits = 0
  private savedUsd = 0

  constructor(private readonly db: Database) {}

  note(note: CacheNote, answer: CachedAnswer): void {
    if ('hit' in note) {
      this.hits++
      this.savedUsd += note.savedUsd ?? 0
      sql(this.db, HIT).run(note.savedUsd ?? 0, answer.at, note.key)
      return
    }
    const bytes = Buffer.byteLength(answer.output)
    const { jobId, model, output, inputTokens, outputTokens, costUsd, at } = answer
    const cachedInputTokens = answer.cachedInputTokens ?? 0
    const cacheWriteTokens = answer.cacheWriteTokens ?? 0
    const kind = answer.kind ?? ''
    const kept = sql(this.db, KEEP).run({
      key: note.key,
      kind,
      model,
      output,
      inputTokens,
      outputTokens,
      cachedInputTokens,
      cacheWriteTokens,
      costUsd,
      jobId,
      at,
      bytes,
    })
    if (kept.changes === 0) return
    this.entries++
    this.bytes += bytes
  }

  /** Once, after the settle's loop. */
  flush(): void {
    if (this.entries > 0 || this.hits > 0) sql(this.db, TOTALS).run(this.entries, this.bytes, this.hits, this.savedUsd)
  }
}
