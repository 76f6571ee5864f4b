/** Conformance, the response cache port: entries kept and hit by settle, found and counted before dispatch, the totals, and clearing. */
import { describe, expect, it } from 'vitest'
import { T0, freshStore, type StoreFactory } from './harness'
import { runAttempts, type PortsStore } from './ports-harness'

export function cacheConformance(factory: StoreFactory<PortsStore>): void {
  describe('response cache', () => {
    it('finds the entries settle kept, the first answer of a key staying, and counts their hits', async () => {
      const { store, another } = await freshStore(factory)
      expect(await store.cache.stats()).toEqual({ entries: 0, bytes: 0, hits: 0, savedUsd: 0, oldestAt: null })
      await runAttempts(store, [
        { cache: { key: 'k1', made: true }, answer: 'héllo', input: 11, output: 22, usd: 0.5 },
        { cache: { key: 'k1', made: true }, answer: 'second answer' },
        { cache: { key: 'k2', made: true }, answer: 'world', usd: null },
      ])
      await runAttempts(store, [{ cache: { key: 'k1', hit: true, savedUsd: 0.5 } }, { cache: { key: 'k1', hit: true, savedUsd: 0.25 } }], T0 + 1000, 'hits')
      const other = await another()
      const found = await other.cache.find(['k1', 'k2', 'missing', 'k1'])
      expect([...found.keys()].sort()).toEqual(['k1', 'k2'])
      expect(found.get('k1')).toEqual({
        key: 'k1',
        output: 'héllo',
        inputTokens: 11,
        outputTokens: 22,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0.5,
        createdAt: T0 + 100,
      })
      expect(found.get('k2')!.costUsd).toBeNull()
      expect((await store.cache.find([])).size).toBe(0)
      expect(await store.cache.kept(['k2', 'missing', 'k2'])).toEqual(new Set(['k2']))
      expect(await store.cache.kept([])).toEqual(new Set())
      // 'héllo' is six bytes in UTF-8.
      expect(await store.cache.stats()).toEqual({ entries: 2, bytes: 11, hits: 2, savedUsd: 0.75, oldestAt: T0 + 100 })
    })

    it('clears the entries made before a time, or all, keeping the hits counted', async () => {
      const { store } = await freshStore(factory)
      await runAttempts(store, [{ cache: { key: 'old', made: true }, answer: 'aaaa' }])
      await runAttempts(store, [{ cache: { key: 'new', made: true }, answer: 'bbbbbbbb' }], T0 + 60_000, 'later')
      await runAttempts(store, [{ cache: { key: 'new', hit: true, savedUsd: 0.125 } }], T0 + 120_000, 'hit')
      expect(await store.cache.clear(T0 + 100)).toEqual({ removed: 0, bytes: 0 })
      expect(await store.cache.clear(T0 + 101)).toEqual({ removed: 1, bytes: 4 })
      expect(await store.cache.stats()).toEqual({ entries: 1, bytes: 8, hits: 1, savedUsd: 0.125, oldestAt: T0 + 60_100 })
      expect(await store.cache.clear()).toEqual({ removed: 1, bytes: 8 })
      expect(await store.cache.clear()).toEqual({ removed: 0, bytes: 0 })
      expect(await store.cache.stats()).toEqual({ entries: 0, bytes: 0, hits: 1, savedUsd: 0.125, oldestAt: null })
      expect(await store.cache.kept(['old', 'new'])).toEqual(new Set())
    })
  })
}
