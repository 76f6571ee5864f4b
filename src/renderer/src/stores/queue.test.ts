import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent } from '../../../shared/contract'
import { JOB_STATES, type QueueCounts } from '../../../shared/jobs'
import { ApiError, type Client, type Connection } from '../api'
import { createQueueStore } from './queue'

const counts = (values: Partial<QueueCounts> = {}): QueueCounts => ({ ...(Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as QueueCounts), ...values })

/** An engine in memory behind the Client interface: counts, a pause flag, and event and connection feeds the test drives. */
function fakeEngine() {
  const engine = { counts: counts({ queued: 2, completed: 1 }), paused: false }
  const listeners = new Set<(event: EngineEvent) => void>()
  const watchers = new Set<(connection: Connection) => void>()
  const stats = () => ({ counts: engine.counts, paused: engine.paused })
  const client = {
    queueStats: vi.fn(async () => stats()),
    pauseQueue: vi.fn(async () => ((engine.paused = true), stats())),
    resumeQueue: vi.fn(async () => ((engine.paused = false), stats())),
    onEvent(listener: (event: EngineEvent) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    onConnection(watcher: (connection: Connection) => void) {
      watchers.add(watcher)
      watcher('live')
      return () => watchers.delete(watcher)
    },
  } as unknown as Client
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event))
  const connect = (connection: Connection) => watchers.forEach((watcher) => watcher(connection))
  return { engine, client, emit, connect, stats }
}

async function started() {
  const fake = fakeEngine()
  const store = createQueueStore(fake.client)
  const stop = store.getState().start()
  await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
  return { ...fake, store, stop }
}

describe('queue store', () => {
  test('loads the counts and the paused flag', async () => {
    const { store, stop } = await started()
    expect(store.getState().counts).toMatchObject({ queued: 2, completed: 1 })
    expect(store.getState().paused).toBe(false)
    stop()
  })

  test('follows the counts events', async () => {
    const { store, emit, stop } = await started()
    emit({ type: 'counts', data: { counts: counts({ active: 3 }), paused: true } })
    expect(store.getState().counts).toMatchObject({ active: 3, queued: 0 })
    expect(store.getState().paused).toBe(true)
    stop()
  })

  test('reads the counts again after the event stream comes back', async () => {
    const { store, engine, client, connect, stop } = await started()
    connect('reconnecting')
    engine.counts = counts({ completed: 9 })
    connect('live')
    await vi.waitFor(() => expect(store.getState().counts.completed).toBe(9))
    expect(client.queueStats).toHaveBeenCalledTimes(2)
    stop()
  })

  test('pauses and resumes', async () => {
    const { store, stop } = await started()
    await store.getState().togglePaused()
    expect(store.getState().paused).toBe(true)
    await store.getState().togglePaused()
    expect(store.getState().paused).toBe(false)
    stop()
  })

  test('tells the operator when a pause failed', async () => {
    const { store, client, stop } = await started()
    vi.mocked(client.pauseQueue).mockRejectedValueOnce(new ApiError('NETWORK', 'pauseQueue: the GenOps server did not answer'))
    await store.getState().togglePaused()
    expect(store.getState().notice).toBe('Could not pause the queue: pauseQueue: the GenOps server did not answer')
    stop()
  })

  test('announces a first load that failed, with its code', async () => {
    const { client } = fakeEngine()
    vi.mocked(client.queueStats).mockRejectedValueOnce(new ApiError('UNAUTHORIZED', 'missing or wrong token'))
    const store = createQueueStore(client)
    const stop = store.getState().start()
    await vi.waitFor(() => expect(store.getState().status).toBe('error'))
    expect(store.getState().error).toEqual({ code: 'UNAUTHORIZED', message: 'missing or wrong token' })
    stop()
  })
})
