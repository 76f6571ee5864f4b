import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent } from '../../../../shared/contract'
import type { Client } from '../../api'
import { createFailuresStore, scopeWords, selectionOf } from './failures'

describe('which dead jobs an action means', () => {
  test('one, the ticked ones, all, or those the filter matches', () => {
    expect(selectionOf({ kind: 'one', id: 4 }, [1, 2], {})).toEqual({ id: 4 })
    expect(selectionOf({ kind: 'selected' }, [1, 2], { category: 'TIMEOUT' })).toEqual({ ids: [1, 2] })
    expect(selectionOf({ kind: 'selected' }, [], {})).toBeNull()
    expect(selectionOf({ kind: 'matching' }, [1], {})).toEqual({ all: true })
    expect(selectionOf({ kind: 'matching' }, [1], { provider: 'sim', batchId: 3 })).toEqual({ provider: 'sim', batchId: 3 })
    expect(scopeWords({ kind: 'matching' }, 0, { provider: 'sim' })).toBe('every dead job that matches the filter')
    expect(scopeWords({ kind: 'selected' }, 3, {})).toBe('3 selected jobs')
  })
})

describe('the failures store', () => {
  test('loads, retries what is ticked, and says so', async () => {
    const listeners = new Set<(event: EngineEvent) => void>()
    const dead = [1, 2, 3].map((id) => ({ id, state: 'dead', provider: 'sim', errorCategory: 'TIMEOUT' }))
    const client = {
      listFailureGroups: vi.fn(async () => ({ groups: [] })),
      listRegressions: vi.fn(async () => ({ cases: [] })),
      listDead: vi.fn(async () => ({ jobs: dead })),
      deadStats: vi.fn(async () => ({ total: dead.length, byCategory: [], byProvider: [] })),
      retryDead: vi.fn(async () => ({ retried: 2 })),
      onEvent: (listener: (event: EngineEvent) => void) => (listeners.add(listener), () => listeners.delete(listener)),
    } as unknown as Client
    const store = createFailuresStore(client)
    const stop = store.getState().start()
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    store.getState().toggle(1)
    store.getState().toggle(3)
    await store.getState().retry({ kind: 'selected' })
    expect(client.retryDead).toHaveBeenCalledWith({ ids: [1, 3] })
    expect(store.getState()).toMatchObject({ selected: [], notice: { tone: 'info', text: '2 jobs queued again, with fresh attempts.' } })
    stop()
  })
})
