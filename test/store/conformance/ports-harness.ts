/**
 * What the ports' conformance suites (costs, alerts, cache, metrics) need: a store with its
 * ports beside the queue core, a second connection to it, and attempts run through the
 * store's own enqueue, claim and settle, so the rollups, totals and cache rows they read are
 * the ones that store's settle writes. Assertions read back through the ports only.
 */
import type { CacheNote } from '../../../src/main/cache/store'
import type { QueueStore } from '../../../src/main/queue/store'
import type { QueueCore } from '../../../src/main/store/queue-core'
import { claim, job, OWNER, T0 } from './harness'

export type PortsStore = QueueCore & Pick<QueueStore, 'costs' | 'alerts' | 'cache' | 'metrics'>

/** One attempt as the rollups count it; what is not named is a completed attempt of openai/gpt, 100 ms long, at T0. */
export interface Run {
  provider?: string
  kind?: string
  model?: string | null
  tags?: string[]
  /** dead: fails for good (a job of one attempt). */
  outcome?: 'completed' | 'dead'
  category?: string
  input?: number
  output?: number
  usd?: number | null
  durationMs?: number
  cache?: CacheNote
  answer?: string
}

/**
 * Enqueues a batch of a job a run, claims them at `at` and settles each run's attempt
 * `durationMs` later; returns the batch and the jobs' ids in the runs' order.
 */
export async function runAttempts(store: PortsStore, runs: readonly Run[], at = T0, batch = 'runs'): Promise<{ batchId: number; ids: number[] }> {
  const jobs = runs.map((run, i) =>
    job(`prompt ${i}`, {
      provider: run.provider ?? 'openai',
      model: run.model === undefined ? 'gpt' : run.model,
      tags: run.tags ?? null,
      maxAttempts: 1,
      runAt: at,
    }),
  )
  const { batchId, jobIds: ids } = await store.enqueue(jobs, batch, at)
  const claimed = await claim(store, at, runs.length)
  if (claimed.jobs.length !== runs.length) throw new Error(`claimed ${claimed.jobs.length} of ${runs.length} jobs`)
  await store.settle(
    runs.map((run, i) => {
      const id = ids[i]!
      const endedAt = at + (run.durationMs ?? 100)
      const cost = {
        providerKind: run.kind ?? run.provider ?? 'openai',
        model: run.model === undefined ? 'gpt' : run.model,
        usd: run.usd === undefined ? 0.01 : run.usd,
      }
      if (run.outcome === 'dead')
        return { id, outcome: 'error', endedAt, category: run.category ?? 'SERVICE_UNAVAILABLE', message: 'HTTP 503', retryable: false, retryAt: endedAt, cost }
      return {
        id,
        outcome: 'ok',
        endedAt,
        output: run.answer ?? `out ${i}`,
        inputTokens: run.input ?? 10,
        outputTokens: run.output ?? 20,
        cost,
        cache: run.cache,
      }
    }),
    OWNER,
  )
  return { batchId, ids }
}
