/** Conformance, the metrics port: the store-wide totals settle and enqueue keep, and the exporter lease, held by one engine at a time. */
import { describe, expect, it } from 'vitest'
import type { CountTotal } from '../../../src/main/telemetry/metric-store'
import { T0, freshStore, type StoreFactory } from './harness'
import { runAttempts, type PortsStore } from './ports-harness'

const TTL = 30_000

const byKey = (rows: CountTotal[]) => rows.map((r) => `${r.metric} ${r.provider} ${r.model} ${r.detail} ${r.n}`).sort()

export function metricsConformance(factory: StoreFactory<PortsStore>): void {
  describe('totals', () => {
    it('sums the day rollups by provider and model, with the counts and the cache totals of the same commits', async () => {
      const { store } = await freshStore(factory)
      expect(await store.metrics.totals()).toEqual({ usage: [], counts: [], cache: { entries: 0, bytes: 0, hits: 0, savedUsd: 0 } })
      await runAttempts(store, [
        { provider: 'openai', model: 'gpt', input: 10, output: 20, usd: 0.5, cache: { key: 'k', made: true }, answer: 'abc' },
        { provider: 'openai', model: 'gpt', input: 5, output: 6, usd: 0.25 },
        { provider: 'team', kind: 'anthropic', model: null, input: 1, output: 2, usd: null },
        { provider: 'openai', model: 'gpt', outcome: 'dead', category: 'RATE_LIMITED' },
      ])
      await runAttempts(store, [{ provider: 'openai', model: 'gpt', input: 100, output: 200, usd: 1 }], T0 + 86_400_000, 'tomorrow')
      const totals = await store.metrics.totals()
      expect([...totals.usage].sort((a, b) => a.provider.localeCompare(b.provider))).toEqual([
        { provider: 'openai', model: 'gpt', inputTokens: 115, outputTokens: 226, cachedInputTokens: 0, cacheWriteTokens: 0, costUsd: 1.76 },
        { provider: 'team', model: '', inputTokens: 1, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 0, costUsd: 0 },
      ])
      expect(byKey(totals.counts)).toEqual([
        'attempts openai gpt UNKNOWN 1',
        'attempts openai gpt none 3',
        'attempts team  none 1',
        'jobs_enqueued openai gpt  4',
        'jobs_enqueued team   1',
        'jobs_finished openai gpt completed 3',
        'jobs_finished openai gpt dead 1',
        'jobs_finished team  completed 1',
      ])
      expect(totals.cache).toEqual({ entries: 1, bytes: 3, hits: 0, savedUsd: 0 })
    })
  })

  describe('exporter lease', () => {
    it('is held by one engine at a time: renewed by its holder, taken by another once expired or given up', async () => {
      const { store, another } = await freshStore(factory)
      const other = await another()
      expect(await store.metrics.takeExporterLease('engine-a', T0, T0 + TTL)).toBe(true)
      expect(await other.metrics.takeExporterLease('engine-b', T0 + 1, T0 + 1 + TTL)).toBe(false)
      expect(await store.metrics.takeExporterLease('engine-a', T0 + 10_000, T0 + 10_000 + TTL)).toBe(true)
      // Renewed: still held when the first lease would have run out.
      expect(await other.metrics.takeExporterLease('engine-b', T0 + TTL, T0 + 2 * TTL)).toBe(false)
      // Not renewed: taken once it expires.
      expect(await other.metrics.takeExporterLease('engine-b', T0 + 10_000 + TTL, T0 + 10_000 + 2 * TTL)).toBe(true)
      expect(await store.metrics.takeExporterLease('engine-a', T0 + 10_000 + TTL, T0 + 10_000 + 2 * TTL)).toBe(false)
      // Given up only by its holder; then the other takes it at once.
      await store.metrics.releaseExporterLease('engine-a')
      expect(await store.metrics.takeExporterLease('engine-a', T0 + 10_001 + TTL, T0 + 10_001 + 2 * TTL)).toBe(false)
      await other.metrics.releaseExporterLease('engine-b')
      expect(await store.metrics.takeExporterLease('engine-a', T0 + 10_002 + TTL, T0 + 10_002 + 2 * TTL)).toBe(true)
    })

    it('goes to exactly one of several engines trying at once', async () => {
      const { store, another } = await freshStore(factory)
      const engines = [store, await another(), await another(), await another()]
      for (let round = 0; round < 5; round++) {
        const now = T0 + round * 2 * TTL
        const taken = await Promise.all(engines.map((engine, i) => engine.metrics.takeExporterLease(`engine-${i}`, now, now + TTL)))
        expect(taken.filter(Boolean)).toHaveLength(1)
      }
    })
  })
}
