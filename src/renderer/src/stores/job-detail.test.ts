import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent } from '../../../shared/contract'
import type { JobDetail, JobState } from '../../../shared/jobs'
import type { TraceSpan } from '../../../shared/traces'
import { ApiError, type Client } from '../api'
import { actionsFor, createJobDetailStore, lastAttemptUntraced } from './job-detail'

function detail(id: number, state: JobState = 'completed'): JobDetail {
  return {
    id,
    state,
    priority: 'normal',
    provider: 'sim',
    model: null,
    promptPreview: 'hello',
    batchId: 1,
    attemptsMade: 1,
    maxAttempts: 3,
    createdAt: 1,
    runAt: 1,
    finishedAt: 2,
    lastError: null,
    prompt: 'hello',
    tags: [],
    config: {},
    idempotencyKey: null,
    stalledCount: 0,
    output: 'world',
    artifact: null,
    events: [],
    attempts: [],
  }
}

const span: TraceSpan = {
  traceId: 't1',
  spanId: 's1',
  parentSpanId: null,
  attempt: 1,
  name: 'attempt',
  startMs: 0,
  endMs: 10,
  status: 'ok',
  statusMessage: null,
  attributes: {},
  events: [],
}

function fakeEngine() {
  const jobs = new Map<number, JobDetail>([
    [1, detail(1)],
    [2, detail(2, 'active')],
  ])
  const listeners = new Set<(event: EngineEvent) => void>()
  const client = {
    getJob: vi.fn(async ({ id }: { id: number }) => {
      const job = jobs.get(id)
      if (!job) throw new ApiError('NOT_FOUND', `job ${id} does not exist`)
      return job
    }),
    getTrace: vi.fn(async ({ jobId }: { jobId: number }) => ({ jobId, spans: jobId === 1 ? [span] : [] })),
    cancelJob: vi.fn(async ({ id }: { id: number }) => {
      jobs.set(id, detail(id, 'cancelled'))
      return detail(id, 'cancelled')
    }),
    retryJob: vi.fn(),
    deleteJob: vi.fn(async ({ id }: { id: number }) => ({ deleted: jobs.delete(id) })),
    onEvent(listener: (event: EngineEvent) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  } as unknown as Client
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event))
  return { jobs, client, emit }
}

function opened(id: number) {
  const fake = fakeEngine()
  const deleted = vi.fn()
  const store = createJobDetailStore(fake.client, deleted)
  const stop = store.getState().start()
  store.getState().open(id)
  return { ...fake, store, stop, deleted }
}

describe('job detail store', () => {
  test('reads the job and its trace', async () => {
    const { store, stop } = opened(1)
    expect(store.getState().status).toBe('loading')
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    expect(store.getState().job?.output).toBe('world')
    expect(store.getState().spans).toEqual([span])
    expect(store.getState().traceNote).toBeNull()
    stop()
  })

  test('reads the trace again while the last attempt of a finished job has no spans yet (they are written a moment after it ends)', async () => {
    const fake = fakeEngine()
    const attempt = {
      number: 1,
      startedAt: 0,
      endedAt: 10,
      outcome: 'ok' as const,
      errorCategory: null,
      error: null,
      inputTokens: 1,
      outputTokens: 1,
      ranOn: null,
      model: null,
      severity: null,
      stack: null,
    }
    fake.jobs.set(3, { ...detail(3), attempts: [attempt] })
    vi.mocked(fake.client.getTrace)
      .mockResolvedValueOnce({ jobId: 3, spans: [] })
      .mockResolvedValue({ jobId: 3, spans: [span] })
    const store = createJobDetailStore(fake.client)
    const stop = store.getState().start()
    store.getState().open(3)
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    expect(store.getState().spans).toEqual([])
    await vi.waitFor(() => expect(store.getState().spans).toEqual([span]), { timeout: 3000 })
    expect(lastAttemptUntraced(store.getState().job!, store.getState().spans)).toBe(false)
    stop()
  })

  test('says when there is no such job', async () => {
    const { store, stop } = opened(9)
    await vi.waitFor(() => expect(store.getState().status).toBe('missing'))
    stop()
  })

  test('leaves the waterfall out, with a note, when the engine keeps no traces', async () => {
    const { store, client, stop } = opened(1)
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    vi.mocked(client.getTrace).mockRejectedValueOnce(new ApiError('NOT_FOUND', 'no operation named "getTrace"'))
    store.getState().open(null)
    store.getState().open(1)
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    expect(store.getState().spans).toBeNull()
    expect(store.getState().traceNote).toBe('This engine keeps no traces.')
    stop()
  })

  test('reads the job again when an event names it, and follows its progress while it runs', async () => {
    const { store, jobs, emit, client, stop } = opened(2)
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    emit({ type: 'progress', data: { updates: [{ id: 2, fraction: 0.25, outputTokens: 5, elapsedMs: 100 }] } })
    expect(store.getState().progress?.fraction).toBe(0.25)
    emit({ type: 'jobs', data: { changes: [{ id: 7, state: 'completed', attemptsMade: 1 }], truncated: false } })
    jobs.set(2, detail(2, 'completed'))
    emit({ type: 'jobs', data: { changes: [{ id: 2, state: 'completed', attemptsMade: 1 }], truncated: false } })
    await vi.waitFor(() => expect(store.getState().job?.state).toBe('completed'))
    expect(store.getState().progress).toBeNull()
    expect(client.getJob).toHaveBeenCalledTimes(2)
    stop()
  })

  test('cancels, reading the job again after', async () => {
    const { store, client, stop } = opened(2)
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    const acting = store.getState().act('cancel')
    expect(store.getState().action).toEqual({ name: 'cancel', state: 'working', message: null })
    await acting
    expect(client.cancelJob).toHaveBeenCalledWith({ id: 2 })
    expect(store.getState().action).toBeNull()
    expect(store.getState().job?.state).toBe('cancelled')
    stop()
  })

  test('says why an action failed, in the engine’s words', async () => {
    const { store, client, stop } = opened(1)
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    vi.mocked(client.retryJob).mockRejectedValueOnce(new ApiError('CONFLICT', 'job 1 is completed: only dead or cancelled jobs can be retried here'))
    await store.getState().act('retry')
    expect(store.getState().action).toEqual({ name: 'retry', state: 'failed', message: 'job 1 is completed: only dead or cancelled jobs can be retried here' })
    stop()
  })

  test('tells the screen when the job is deleted', async () => {
    const { store, deleted, stop } = opened(1)
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    await store.getState().act('delete')
    expect(deleted).toHaveBeenCalledWith(1)
    stop()
  })

  test('offers what a job’s state allows', () => {
    expect(actionsFor({ state: 'queued' })).toEqual(['cancel', 'delete'])
    expect(actionsFor({ state: 'active' })).toEqual(['cancel'])
    expect(actionsFor({ state: 'dead' })).toEqual(['retry', 'delete'])
    expect(actionsFor({ state: 'completed' })).toEqual(['delete'])
  })
})
