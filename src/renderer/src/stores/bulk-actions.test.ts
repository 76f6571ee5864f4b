import { describe, expect, test, vi } from 'vitest'
import type { OperationInput } from '../../../shared/contract'
import { ApiError, type Client } from '../api'
import { BULK_SLICE, createBulkStore } from './bulk-actions'

function fakeClient() {
  const calls: number[][] = []
  const answer = async ({ ids }: OperationInput<'cancelJobs'>) => {
    calls.push(ids)
    // Odd ids are already finished.
    return { done: ids.filter((id) => id % 2 === 0), skipped: ids.filter((id) => id % 2 === 1).map((id) => ({ id, reason: `job ${id} is already completed` })) }
  }
  const client = { cancelJobs: vi.fn(answer), retryJobs: vi.fn(answer) } as unknown as Client
  return { client, calls }
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

describe('bulk actions', () => {
  test('asks first, then sends the jobs in slices, counting what was done and what was skipped', async () => {
    const { client, calls } = fakeClient()
    const finished = vi.fn()
    const store = createBulkStore(client, finished)
    store.getState().ask('cancel', ids(450))
    expect(store.getState()).toMatchObject({ phase: 'confirm', action: 'cancel' })
    expect(calls).toEqual([])
    const seen: number[] = []
    store.subscribe((state) => seen.push(state.processed))
    await store.getState().confirm()
    expect(calls.map((slice) => slice.length)).toEqual([BULK_SLICE, BULK_SLICE, 50])
    expect(store.getState()).toMatchObject({ phase: 'done', processed: 450, done: 225 })
    expect(store.getState().skipped).toHaveLength(225)
    expect(store.getState().skipped[0]).toEqual({ id: 1, reason: 'job 1 is already completed' })
    // The progress moved slice by slice.
    expect([...new Set(seen)]).toEqual([0, 200, 400, 450])
    expect(finished).toHaveBeenCalledWith('cancel', 225)
    store.getState().close()
    expect(store.getState().phase).toBe('idle')
  })

  test('retries through retryJobs', async () => {
    const { client } = fakeClient()
    const store = createBulkStore(client)
    store.getState().ask('retry', [2, 4])
    await store.getState().confirm()
    expect(client.retryJobs).toHaveBeenCalledWith({ ids: [2, 4] })
    expect(client.cancelJobs).not.toHaveBeenCalled()
  })

  test('stops between slices when asked', async () => {
    const { client, calls } = fakeClient()
    const store = createBulkStore(client)
    store.getState().ask('cancel', ids(1000))
    const running = store.getState().confirm()
    store.getState().stop()
    await running
    expect(calls).toHaveLength(1)
    expect(store.getState()).toMatchObject({ phase: 'done', processed: BULK_SLICE })
  })

  test('says why it stopped when the engine failed', async () => {
    const { client } = fakeClient()
    vi.mocked(client.cancelJobs).mockRejectedValueOnce(new ApiError('NETWORK', 'cancelJobs: the GenOps server did not answer'))
    const store = createBulkStore(client)
    store.getState().ask('cancel', ids(3))
    await store.getState().confirm()
    expect(store.getState()).toMatchObject({ phase: 'done', processed: 0, failure: 'cancelJobs: the GenOps server did not answer' })
  })

  test('asks for nothing with no jobs, and confirms only what was asked', async () => {
    const { client } = fakeClient()
    const store = createBulkStore(client)
    store.getState().ask('cancel', [])
    expect(store.getState().phase).toBe('idle')
    await store.getState().confirm()
    expect(client.cancelJobs).not.toHaveBeenCalled()
  })
})
