/**
 * The scheduler's side of the response cache. Before claimed jobs go to the pool, each one
 * that takes part in the cache gets its request's key, and the keys of the whole claim are
 * looked up in one statement. A job whose key is kept is answered here, with no worker round
 * trip: its artifact is written as a worker would write it, and its result is settled as a
 * completed attempt with no tokens and cost 0, carrying the hit so settle counts what it saved.
 */
import { writeArtifact, promptHash } from '../../workers/artifacts'
import { outputFormat } from '../../workers/output'
import type { PriceBook } from '../costs/pricing'
import { NO_PRICES } from '../queue/in-flight'
import type { Resolved } from '../queue/profiles'
import type { AttemptResult, ClaimedJob, QueueStore } from '../queue/store'
import { cacheApplies, cacheKey } from './key'
import type { CacheEntry } from './store'

export interface CacheOptions {
  /** The queue's default (shared setting cache.enabled); a job's config.cache wins. Read at each claim, so a change applies live. */
  enabled: boolean
}

/** A claimed job with its request resolved, and its key when it takes part in the cache. */
export interface Routed {
  job: ClaimedJob
  resolved: Resolved
  cacheKey: string | null
}

export class ResponseCache {
  constructor(
    private readonly store: Pick<QueueStore, 'cache'>,
    private readonly options: { cache?: CacheOptions | undefined; artifactsDir: string | null; pricing?: PriceBook | undefined },
  ) {}

  /** The key of this job's request, or null when it does not take part. */
  keyOf(job: ClaimedJob, resolved: Resolved): string | null {
    return cacheApplies(resolved.config, this.options.cache?.enabled ?? true) ? cacheKey(resolved, job.prompt) : null
  }

  /** The kept answers of these jobs, by job id: one lookup for a whole claim. */
  async lookUp(routed: readonly Routed[]): Promise<Map<number, CacheEntry>> {
    const keys = routed.flatMap(({ cacheKey }) => (cacheKey === null ? [] : [cacheKey]))
    if (keys.length === 0) return new Map()
    const found = await this.store.cache.find(keys)
    const hits = new Map<number, CacheEntry>()
    for (const { job, cacheKey } of routed) {
      const entry = cacheKey === null ? undefined : found.get(cacheKey)
      if (entry) hits.set(job.id, entry)
    }
    return hits
  }

  /**
   * The job answered from the entry: its artifact written, its result ready to settle.
   * What it saved is the entry's tokens at today's price of what the job ran on (`provider`:
   * its profile or fallback). Throws when the artifact cannot be written: the job then runs as
   * usual, and its worker meets (and reports) whatever refused the file.
   */
  async answer({ job, resolved }: Routed, provider: string, entry: CacheEntry): Promise<AttemptResult> {
    const started = performance.now()
    const attempt = { provider, kind: resolved.provider, model: resolved.model }
    const savedUsd = (this.options.pricing ?? NO_PRICES).cost(attempt, entry)
    let artifact: string | null = null
    if (this.options.artifactsDir !== null && resolved.config.artifact !== false) {
      const name = typeof resolved.config.outputName === 'string' ? resolved.config.outputName : String(job.id)
      artifact = await writeArtifact(this.options.artifactsDir, job.batchId, name, outputFormat(resolved.config.output), entry.output, {
        jobId: job.id,
        attempt: job.attempt,
        provider: resolved.provider,
        model: resolved.model,
        promptSha256: promptHash(job.prompt),
        inputTokens: 0,
        outputTokens: 0,
        firstTokenMs: null,
        durationMs: performance.now() - started,
        cached: true,
      })
    }
    return {
      id: job.id,
      outcome: 'ok',
      endedAt: Date.now(),
      output: entry.output,
      artifact,
      inputTokens: 0,
      outputTokens: 0,
      cache: { key: entry.key, hit: true, savedUsd },
    }
  }
}

/** True for a result answered from the cache: no provider call, so nothing for the per-process provider metrics and traces. */
export function isCacheHit(result: AttemptResult): boolean {
  return result.outcome === 'ok' && result.cache !== undefined && 'hit' in result.cache
}
