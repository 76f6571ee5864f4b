/**
 * The response cache on the settings screen: its size and what it saved (the contract's
 * cacheStats), and a clear the operator confirms first (clearCache). Entries are never
 * evicted behind the operator's back, so this is where they see them grow and let them go.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { CacheStats } from '../../../../shared/cache'
import type { Client } from '../../api'
import { formatBytes, plural, sayProblem } from '../../words'

export interface ResponseCacheState {
  /** loading: the first read; clearing: a clear sent; confirming: the clear button asked "sure?". */
  phase: 'loading' | 'ready' | 'confirming' | 'clearing' | 'error'
  stats: CacheStats | null
  /** What the last clear did, in words. */
  cleared: string | null
  problem: string | null
  load(): Promise<void>
  askClear(): void
  cancelClear(): void
  clear(): Promise<void>
}

export function createResponseCacheStore(client: Pick<Client, 'cacheStats' | 'clearCache'>): StoreApi<ResponseCacheState> {
  return createStore<ResponseCacheState>()((set, get) => ({
    phase: 'loading',
    stats: null,
    cleared: null,
    problem: null,
    async load() {
      try {
        const stats = await client.cacheStats({})
        // A read during a confirmation or a clear leaves the button where it is.
        set({ stats, phase: get().phase === 'loading' || get().phase === 'error' ? 'ready' : get().phase, problem: null })
      } catch (error) {
        set({ phase: 'error', problem: `The response cache could not be read: ${sayProblem(error)}` })
      }
    },
    askClear() {
      if (get().phase === 'ready' && (get().stats?.entries ?? 0) > 0) set({ phase: 'confirming', cleared: null })
    },
    cancelClear() {
      if (get().phase === 'confirming') set({ phase: 'ready' })
    },
    async clear() {
      if (get().phase !== 'confirming') return
      set({ phase: 'clearing', problem: null })
      try {
        const { removed, bytes } = await client.clearCache({})
        set({ phase: 'ready', cleared: `Removed ${plural(removed, 'cached answer')} (${formatBytes(bytes)}).` })
      } catch (error) {
        // Still shown as it was, and the clear may be tried again.
        set({ phase: 'ready', problem: `Nothing was cleared: ${sayProblem(error)}` })
        return
      }
      await get().load()
    },
  }))
}
