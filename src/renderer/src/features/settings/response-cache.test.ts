import { describe, expect, test, vi } from 'vitest'
import type { CacheStats } from '../../../../shared/cache'
import { createResponseCacheStore } from './response-cache'

const stats = (entries: number, bytes: number): CacheStats => ({ entries, bytes, hits: 4, savedUsd: 0.0123, oldestAt: entries ? 1_700_000_000_000 : null })

describe('the response cache panel', () => {
  test('shows the size, clears only once confirmed, then says what went and reads the size again', async () => {
    let kept = stats(3, 2048)
    const client = {
      cacheStats: vi.fn(async () => kept),
      clearCache: vi.fn(async () => {
        const removed = { removed: kept.entries, bytes: kept.bytes }
        kept = stats(0, 0)
        return removed
      }),
    }
    const store = createResponseCacheStore(client)
    await store.getState().load()
    expect(store.getState()).toMatchObject({ phase: 'ready', stats: kept })

    // Clear without the confirmation does nothing.
    await store.getState().clear()
    expect(client.clearCache).not.toHaveBeenCalled()
    store.getState().askClear()
    expect(store.getState().phase).toBe('confirming')
    store.getState().cancelClear()
    expect(store.getState().phase).toBe('ready')

    store.getState().askClear()
    await store.getState().clear()
    expect(client.clearCache).toHaveBeenCalledWith({})
    expect(store.getState()).toMatchObject({ phase: 'ready', cleared: 'Removed 3 cached answers (2.0 KB).', stats: { entries: 0, bytes: 0, hits: 4 } })
    // Nothing left: no clear to ask for.
    store.getState().askClear()
    expect(store.getState().phase).toBe('ready')
  })

  test('says in words when the cache cannot be read or cleared', async () => {
    const client = {
      cacheStats: vi.fn(async () => stats(1, 10)),
      clearCache: vi.fn(async () => {
        throw new Error('database is locked')
      }),
    }
    const store = createResponseCacheStore(client)
    await store.getState().load()
    store.getState().askClear()
    await store.getState().clear()
    expect(store.getState()).toMatchObject({ phase: 'ready', problem: expect.stringMatching(/^Nothing was cleared: .*database is locked/) as string })
    expect(store.getState().stats!.entries).toBe(1)

    const unreadable = createResponseCacheStore({ ...client, cacheStats: vi.fn(async () => Promise.reject(new Error('no such table'))) })
    await unreadable.getState().load()
    expect(unreadable.getState()).toMatchObject({
      phase: 'error',
      problem: expect.stringMatching(/^The response cache could not be read: .*no such table/) as string,
    })
  })
})
