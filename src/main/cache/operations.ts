/** The contract's cache operations: what `genops cache` asks of the store, here or through a server. */
import type { OperationHandlers } from '../../shared/contract'
import type { QueueStore } from '../queue/store'

export function cacheHandlers(store: Pick<QueueStore, 'cache'>): OperationHandlers<'cacheStats' | 'clearCache'> {
  return {
    cacheStats: async () => store.cache.stats(),
    // The age is the engine's: a client's clock may be off.
    clearCache: async ({ olderThanMs }) => store.cache.clear(olderThanMs === undefined ? undefined : Date.now() - olderThanMs),
  }
}
