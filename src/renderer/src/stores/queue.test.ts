import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent, OperationInput } from '../../../shared/contract'
import { JOB_STATES, type JobState, type JobSummary, type QueueCounts } from '../../../shared/jobs'
import { ApiError, type Client } from '../api'
import { createQueueStore } from './queue'

function job(id: number, state: JobState = 'queued'): JobSummary {
  return {
    id,
    state,
    priority: 'normal',
    provider: 'sim',
    model: null,
    promptPreview: `prompt ${id}`,
    batchId: 1,
    attemptsMade: 0,
    maxAttempts: 3,
    createdAt: 1_700_000_000_000 + id,
    runAt: 1_700_000_000_000 + id,
    finishedAt: null,
    lastError: null,
  }
}

/** An engine in memory behind the Client interface: jobs, a pause flag, and an event feed the test drives. */
function fakeEngine(initial: JobSummary[]) {
  const engine = { jobs: initial, paused: false }
  const listeners = new Set<(event: EngineEvent) => void>()
  const counts = (): QueueCounts => Object.fromEntries(JOB_STATES.map((state) => [state, engine.jobs.filter((j) => j.state === state).length])) as QueueCounts
  const stats = () => ({ counts: counts(), paused: engine.paused })
  const listJobs = vi.fn(async ({ state }: OperationInput<'listJobs'>) => ({
    jobs: engine.jobs.filter((j) => !state || j.state === state).sort((a, b) => b.id - a.id),
  }))
  const client = {
    queueStats: vi.fn(async () => stats()),
    listJobs,
    pauseQueue: vi.fn(async () => ((engine.paused = true), stats())),
    resumeQueue: vi.fn(async () => ((engine.paused = false), stats())),
    onEvent(listener: (event: EngineEvent) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    onConnection(watcher: (connection: 'live') => void) {
      watcher('live')
      return () => {}
    },
  } as unknown as Client
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event))
  /** Moves a job in the engine and tells the store, as the engine's event hub would. */
  const change = (id: number, state: JobState, attemptsMade = 1) => {
    engine.jobs = engine.jobs.map((j) => (j.id === id ? { ...j, state, attemptsMade } : j))
    emit({ type: 'jobs', data: { changes: [{ id, state, attemptsMade }], truncated: false } })
  }
  return { engine, client, listJobs, emit, change, stats }
}

async function started(initial: JobSummary[]) {
  const fake = fakeEngine(initial)
  const store = createQueueStore(fake.client)
  const stop = store.getState().start()
  await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
  return { ...fake, store, stop }
}

const shown = (store: { getState(): { jobs: JobSummary[] } }) => store.getState().jobs.map((j) => `${j.id}:${j.state}`)

describe('queue store', () => {
  test('loads the counts and the newest page', async () => {
    const { store, stop } = await started([job(1, 'completed'), job(2)])
    expect(shown(store)).toEqual(['2:queued', '1:completed'])
    expect(store.getState().counts).toMatchObject({ queued: 1, completed: 1 })
    stop()
  })

  test('updates rows in place on job events, without refetching', async () => {
    const { store, listJobs, change, stop } = await started([job(1), job(2)])
    change(1, 'active')
    expect(shown(store)).toEqual(['2:queued', '1:active'])
    expect(store.getState().jobs[1]!.attemptsMade).toBe(1)
    expect(listJobs).toHaveBeenCalledTimes(1)
    stop()
  })

  test('refetches when a job it does not hold appears', async () => {
    const { store, engine, change, stop } = await started([job(1)])
    engine.jobs = [...engine.jobs, job(2)]
    change(2, 'queued', 0)
    await vi.waitFor(() => expect(shown(store)).toEqual(['2:queued', '1:queued']))
    stop()
  })

  test('applies changes that arrive while a page is on its way', async () => {
    const { store, listJobs, emit, change, stop } = await started([job(1), job(2)])
    let answer: (value: { jobs: JobSummary[] }) => void = () => {}
    listJobs.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)))
    const readBeforeTheChange = { jobs: [job(2), job(1)] }
    emit({ type: 'jobs', data: { changes: [], truncated: true } })
    await vi.waitFor(() => expect(listJobs).toHaveBeenCalledTimes(2))
    // Job 2 finishes after the engine read the page, before the page arrives; no event will repeat it.
    change(2, 'completed')
    answer(readBeforeTheChange)
    await vi.waitFor(() => expect(listJobs.mock.settledResults).toHaveLength(2))
    expect(shown(store)).toEqual(['2:completed', '1:queued'])
    stop()
  })

  test('keeps progress for running jobs only', async () => {
    const { store, emit, change, stop } = await started([job(1, 'active'), job(2)])
    emit({
      type: 'progress',
      data: {
        updates: [
          { id: 1, fraction: 0.5, outputTokens: 10, elapsedMs: 200 },
          { id: 99, fraction: 0.1, outputTokens: 1, elapsedMs: 5 },
        ],
      },
    })
    expect(Object.keys(store.getState().progress)).toEqual(['1'])
    change(1, 'completed')
    expect(store.getState().progress).toEqual({})
    stop()
  })

  test('refetches when the counts say jobs came or went', async () => {
    const { store, engine, emit, stats, stop } = await started([job(1), job(2)])
    engine.jobs = engine.jobs.filter((j) => j.id !== 2)
    emit({ type: 'counts', data: stats() })
    await vi.waitFor(() => expect(shown(store)).toEqual(['1:queued']))
    stop()
  })

  test('lists one state when filtered, and drops rows that leave it', async () => {
    const { store, change, stop } = await started([job(1, 'active'), job(2), job(3, 'active')])
    store.getState().setFilter('active')
    await vi.waitFor(() => expect(shown(store)).toEqual(['3:active', '1:active']))
    change(3, 'completed')
    await vi.waitFor(() => expect(shown(store)).toEqual(['1:active']))
    stop()
  })

  test('pauses and resumes', async () => {
    const { store, stop } = await started([])
    await store.getState().togglePaused()
    expect(store.getState().paused).toBe(true)
    await store.getState().togglePaused()
    expect(store.getState().paused).toBe(false)
    stop()
  })

  test('announces a first load that failed, with its code', async () => {
    const { client } = fakeEngine([])
    vi.mocked(client.queueStats).mockRejectedValueOnce(new ApiError('UNAUTHORIZED', 'missing or wrong token'))
    const store = createQueueStore(client)
    const stop = store.getState().start()
    await vi.waitFor(() => expect(store.getState().status).toBe('error'))
    expect(store.getState().error).toEqual({ code: 'UNAUTHORIZED', message: 'missing or wrong token' })
    stop()
  })
})
