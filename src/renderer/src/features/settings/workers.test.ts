import { describe, expect, test, vi } from 'vitest'
import type { WorkerInfo } from '../../../../shared/workers'
import { createWorkersStore } from './workers'

const worker = (pid: number, state: WorkerInfo['state']): WorkerInfo => ({
  owner: `box:${pid}:abcd1234`,
  host: 'box',
  pid,
  version: '0.1.0',
  startedAt: 1_700_000_000_000,
  heartbeatAt: 1_700_000_005_000,
  stoppedAt: state === 'stopped' ? 1_700_000_005_000 : null,
  state,
  claims: 2,
  self: pid === 1,
})

describe('the workers panel', () => {
  test('reads the workers, and keeps the last list, marked, when a read fails', async () => {
    const listed = [worker(1, 'running'), worker(2, 'gone')]
    const listWorkers = vi.fn(async () => ({ workers: listed }))
    const store = createWorkersStore({ listWorkers })
    expect(store.getState().workers).toBeNull()
    await store.getState().load()
    expect(store.getState()).toMatchObject({ workers: listed, problem: null })

    listWorkers.mockRejectedValueOnce(new Error('the engine is not answering'))
    await store.getState().load()
    expect(store.getState().workers).toBe(listed)
    expect(store.getState().problem).toMatch(/^The workers could not be read: /)

    await store.getState().load()
    expect(store.getState().problem).toBeNull()
  })

  test('reads once at a time: a tick while a slow read is out is skipped, so an older answer never lands last', async () => {
    let answer!: (value: { workers: WorkerInfo[] }) => void
    const listWorkers = vi.fn(() => new Promise<{ workers: WorkerInfo[] }>((resolve) => (answer = resolve)))
    const store = createWorkersStore({ listWorkers })
    const first = store.getState().load()
    await store.getState().load()
    expect(listWorkers).toHaveBeenCalledTimes(1)
    answer({ workers: [worker(1, 'running')] })
    await first
    expect(store.getState().workers).toEqual([worker(1, 'running')])
  })
})
