import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent, OperationInput } from '../../../../shared/contract'
import type { Estimate } from '../../../../shared/estimate'
import type { IntakeFile } from '../../../../shared/intake'
import { ApiError, type Client } from '../../api'
import { choicesToCommit, createIntakeStore } from './intake'
import type { ReadFile } from './read-file'

const ID = '6f1c3a55-1d0e-4b7e-9d59-2a61f0a4c2b1'

/** An engine that takes a file a call: a .txt is one job, a file named bad.* is refused with a line. */
function fakeEngine() {
  const held: IntakeFile[] = []
  const previewIntake = vi.fn(async ({ intakeId, files }: OperationInput<'previewIntake'>) => {
    if (intakeId !== undefined && intakeId !== ID) throw new ApiError('NOT_FOUND', 'gone')
    for (const { name } of files) {
      held.push(
        name.startsWith('bad')
          ? { name, format: 'jsonl', ok: false, jobs: 0, errors: [`${name}:3: not valid JSON`], moreErrors: 0 }
          : { name, format: 'txt', ok: true, jobs: 1, errors: [], moreErrors: 0 },
      )
    }
    return { intakeId: ID, files: [...held], totalJobs: held.filter((f) => f.ok).length, expiresAt: 0 }
  })
  const commitIntake = vi.fn(async (_input: OperationInput<'commitIntake'>) => ({
    batchId: 7,
    batchName: 'a.txt + 1 more',
    jobIds: [1, 2],
    duplicates: 0,
    files: [],
    refusedFiles: ['bad.jsonl'],
  }))
  const cancelIntake = vi.fn(async () => ({ cancelled: true }))
  const listProviders = vi.fn(async () => ({ profiles: [{ name: 'ollama', provider: 'openai' as const, hasKey: false }] }))
  const estimateIntake = vi.fn(async (input: OperationInput<'estimateIntake'>) => estimateFor(input))
  const listeners = new Set<(event: EngineEvent) => void>()
  const onEvent = (listener: (event: EngineEvent) => void) => {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event))
  const client = { previewIntake, commitIntake, cancelIntake, listProviders, estimateIntake, onEvent } as unknown as Client
  return { client, previewIntake, commitIntake, cancelIntake, estimateIntake, emit, listening: () => listeners.size }
}

/** An estimate that says which lane it was asked for: a job a file, $1 a job in real time, half in batch. */
function estimateFor({ lane }: OperationInput<'estimateIntake'>): Estimate {
  return {
    lane: lane ?? 'realtime',
    jobs: 2,
    cachedJobs: 0,
    inputTokens: 10,
    outputTokens: 1024,
    realtimeUsd: 2,
    batchUsd: 1,
    cachedUsd: 0,
    batchOffered: true,
    limitedMs: null,
    groups: [],
    budgets: [],
    notes: [],
  }
}

const file = (name: string, size = 10) => new File([new Uint8Array(size)], name)
const readNow: ReadFile = async (f) => btoa(String.fromCharCode(...new Uint8Array(await f.arrayBuffer())))

describe('a drop', () => {
  test('reads each file, sends it on its own to the same intake, and shows every file in the order dropped', async () => {
    const engine = fakeEngine()
    const store = createIntakeStore(engine.client, readNow)
    await store.getState().take([file('a.txt'), file('movie.mp4'), file('bad.jsonl'), file('b.txt')])
    const state = store.getState()
    expect(state.phase).toBe('preview')
    expect(state.files.map((f) => [f.name, f.ok])).toEqual([
      ['a.txt', true],
      ['movie.mp4', false],
      ['bad.jsonl', false],
      ['b.txt', true],
    ])
    // The video was refused by its name, in the engine's words, and never uploaded.
    expect(state.files[1]!.errors).toEqual(['movie.mp4: unknown file type ".mp4": use .txt, .md, .jsonl, .json, .csv'])
    expect(engine.previewIntake.mock.calls.map(([input]) => [input.intakeId, input.files.map((f) => f.name)])).toEqual([
      [undefined, ['a.txt']],
      [ID, ['bad.jsonl']],
      [ID, ['b.txt']],
    ])
    expect(state.totalJobs).toBe(2)
    expect(state.providers.map((p) => p.value)).toEqual(['sim', 'local', 'openai', 'anthropic', 'ollama'])
  })

  test('enqueues with the choices made, then says what it did', async () => {
    const engine = fakeEngine()
    const store = createIntakeStore(engine.client, readNow)
    await store.getState().take([file('a.txt')])
    store.getState().choose({ provider: 'ollama', priority: 'high', tags: ' a, b ,a,', maxConcurrency: '5' })
    await store.getState().commit()
    expect(engine.commitIntake).toHaveBeenCalledWith({
      intakeId: ID,
      defaults: { provider: 'ollama', priority: 'high', tags: ['a', 'b'] },
      maxConcurrency: 5,
      lane: 'realtime',
    })
    expect(store.getState()).toMatchObject({ phase: 'done', committed: { batchId: 7 }, intakeId: null })
  })

  test('keeps the dialog open with the problem when a choice is wrong or the engine refuses', async () => {
    const engine = fakeEngine()
    const store = createIntakeStore(engine.client, readNow)
    await store.getState().take([file('a.txt')])
    store.getState().choose({ maxConcurrency: 'lots' })
    await store.getState().commit()
    expect(store.getState()).toMatchObject({ phase: 'preview', problem: 'The batch cap is a whole number of jobs from 1 to 10,000, or empty for no cap.' })
    expect(engine.commitIntake).not.toHaveBeenCalled()

    store.getState().choose({ maxConcurrency: '', lane: 'realtime', noCache: false })
    engine.commitIntake.mockRejectedValueOnce(new ApiError('INVALID_INPUT', 'a job would carry 51 tags'))
    await store.getState().commit()
    expect(store.getState()).toMatchObject({ phase: 'preview', problem: 'Nothing was enqueued: a job would carry 51 tags' })
    engine.commitIntake.mockRejectedValueOnce(new ApiError('NOT_FOUND', 'drop x is no longer held'))
    await store.getState().commit()
    expect(store.getState()).toMatchObject({ phase: 'error', problem: 'Nothing was enqueued: drop x is no longer held' })
  })

  test('refuses more than 20 files at once, and adds a later drop to the one shown', async () => {
    const engine = fakeEngine()
    const store = createIntakeStore(engine.client, readNow)
    await store.getState().take(Array.from({ length: 21 }, (_, i) => file(`${i}.txt`)))
    expect(store.getState()).toMatchObject({ phase: 'error', problem: '21 files dropped: a drop takes at most 20 files. Drop them in smaller groups.' })
    store.getState().close()
    await store.getState().take([file('a.txt')])
    await store.getState().take([file('b.txt')])
    expect(store.getState().files.map((f) => f.name)).toEqual(['a.txt', 'b.txt'])
    expect(engine.previewIntake.mock.calls.at(-1)![0].intakeId).toBe(ID)
  })

  test("shows how far the engine checked a big file, from this call's events only, and stops listening after", async () => {
    const engine = fakeEngine()
    type Preview = Awaited<ReturnType<typeof engine.previewIntake>>
    let answer: () => void = () => {}
    let checkId = ''
    const real = engine.previewIntake.getMockImplementation()!
    engine.previewIntake.mockImplementationOnce(
      (input) =>
        new Promise<Preview>((resolve) => {
          checkId = input.checkId!
          answer = () => void real(input).then(resolve)
        }),
    )
    const store = createIntakeStore(engine.client, readNow)
    const listening = engine.listening()
    const taking = store.getState().take([file('big.jsonl', 1000)])
    await vi.waitFor(() => expect(checkId).toMatch(/^[0-9a-f-]{36}$/))
    engine.emit({ type: 'intakeCheck', data: { checkId: '0b7d4a8e-53c2-4f4e-a3c8-7d1e1f6b9a20', name: 'other.jsonl', line: 9, lines: 10 } })
    expect(store.getState().progress?.checked).toBeUndefined()
    engine.emit({ type: 'intakeCheck', data: { checkId, name: 'big.jsonl', line: 450_000, lines: 1_000_000 } })
    expect(store.getState().progress).toMatchObject({ name: 'big.jsonl', step: 'checking', checked: { line: 450_000, lines: 1_000_000 } })
    answer()
    await taking
    expect(store.getState().phase).toBe('preview')
    expect(engine.listening()).toBe(listening)
  })

  test('cancelled while a file is read: nothing is sent, and the engine forgets what it holds', async () => {
    const engine = fakeEngine()
    let release: () => void = () => {}
    const slowRead: ReadFile = (f, _progress, signal) =>
      new Promise((resolve, reject) => {
        if (f.name === 'a.txt') return resolve('')
        signal.addEventListener('abort', () => reject(new DOMException('cancelled', 'AbortError')))
        release = () => resolve('')
      })
    const store = createIntakeStore(engine.client, slowRead)
    const taking = store.getState().take([file('a.txt'), file('big.jsonl', 1000)])
    await vi.waitFor(() => expect(store.getState().progress).toMatchObject({ file: 2, name: 'big.jsonl', step: 'reading' }))
    await store.getState().cancel()
    await taking
    release()
    expect(engine.previewIntake).toHaveBeenCalledTimes(1)
    expect(engine.cancelIntake).toHaveBeenCalledWith({ intakeId: ID })
    expect(store.getState()).toMatchObject({ phase: 'idle', files: [], intakeId: null })
  })
})

describe('the estimate, the lane and the cache', () => {
  test('asks for the estimate once the files are checked and again as the provider or lane changes, and carries the lane and cache to Enqueue', async () => {
    const engine = fakeEngine()
    const store = createIntakeStore(engine.client, readNow)
    await store.getState().take([file('a.txt')])
    await vi.waitFor(() => expect(store.getState().estimateState).toBe('ready'))
    expect(engine.estimateIntake).toHaveBeenLastCalledWith({ intakeId: ID, defaults: {} })
    store.getState().choose({ provider: 'ollama' })
    store.getState().choose({ lane: 'batch', noCache: true })
    await vi.waitFor(() => expect(store.getState().estimate?.lane).toBe('batch'))
    // The choices made one after another are asked about once, when they rest.
    expect(engine.estimateIntake).toHaveBeenCalledTimes(2)
    expect(engine.estimateIntake).toHaveBeenLastCalledWith({ intakeId: ID, defaults: { provider: 'ollama' }, lane: 'batch', cache: false })
    await store.getState().commit()
    expect(engine.commitIntake).toHaveBeenCalledWith({ intakeId: ID, defaults: { provider: 'ollama' }, lane: 'batch', cache: false })
  })

  test('a provider without a batch API takes the batch lane back to real-time', async () => {
    const engine = fakeEngine()
    const store = createIntakeStore(engine.client, readNow)
    await store.getState().take([file('a.txt')])
    await vi.waitFor(() => expect(store.getState().providers.map((p) => p.value)).toContain('ollama'))
    store.getState().choose({ provider: 'anthropic', lane: 'batch' })
    expect(store.getState().choices.lane).toBe('batch')
    store.getState().choose({ provider: 'sim' })
    expect(store.getState().choices.lane).toBe('realtime')
  })

  test("shows a big drop's load as the engine tells it, its own drop's only, and whole once enqueued", async () => {
    const engine = fakeEngine()
    type Committed = Awaited<ReturnType<typeof engine.commitIntake>>
    let answer: (value: Committed) => void = () => {}
    engine.commitIntake.mockImplementationOnce(() => new Promise<Committed>((resolve) => (answer = resolve)))
    const store = createIntakeStore(engine.client, readNow)
    await store.getState().take([file('a.txt')])
    const committing = store.getState().commit()
    engine.emit({ type: 'intakeLoad', data: { intakeId: '0b7d4a8e-53c2-4f4e-a3c8-7d1e1f6b9a20', batchId: 3, loaded: 10, total: 20 } })
    expect(store.getState().load).toBeNull()
    engine.emit({ type: 'intakeLoad', data: { intakeId: ID, batchId: 7, loaded: 5_000, total: 20_000 } })
    expect(store.getState()).toMatchObject({ phase: 'committing', load: { loaded: 5_000, total: 20_000 } })
    answer({ batchId: 7, batchName: 'a.txt', jobIds: [1], duplicates: 0, files: [], refusedFiles: [] })
    await committing
    expect(store.getState()).toMatchObject({ phase: 'done', load: { loaded: 20_000, total: 20_000 } })
    expect(engine.listening()).toBe(0)
  })
})

describe('the choices', () => {
  test('leave out what is not set, and name what is wrong', () => {
    expect(choicesToCommit({ provider: '', model: ' ', priority: '', tags: '', maxConcurrency: '', lane: 'realtime', noCache: false })).toEqual({
      defaults: {},
      lane: 'realtime',
    })
    expect(choicesToCommit({ provider: 'sim', model: 'm', priority: 'low', tags: 'x', maxConcurrency: ' 3 ', lane: 'realtime', noCache: false })).toEqual({
      defaults: { provider: 'sim', model: 'm', priority: 'low', tags: ['x'] },
      maxConcurrency: 3,
      lane: 'realtime',
    })
    expect(choicesToCommit({ provider: '', model: '', priority: '', tags: 'x'.repeat(101), maxConcurrency: '', lane: 'realtime', noCache: false })).toEqual({
      problem: 'A tag is at most 100 characters.',
    })
    expect(choicesToCommit({ provider: '', model: '', priority: '', tags: '', maxConcurrency: '0', lane: 'realtime', noCache: false })).toHaveProperty(
      'problem',
    )
  })
})
