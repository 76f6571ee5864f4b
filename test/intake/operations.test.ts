/**
 * Drag-in through the contract: a drop previewed (parsed and held), then enqueued as one
 * batch or cancelled, on a real SQLite queue. The shared fixtures give the exact jobs and
 * the exact errors with their lines; nothing from a bad file is ever enqueued.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { OperationError, type OperationInput } from '../../src/shared/contract'
import {
  INTAKE_EXTENSIONS,
  INTAKE_TTL_MS,
  type IntakeCheck,
  MAX_INTAKE_FILE_BYTES,
  MAX_INTAKE_FILES,
  MAX_JOBS_PER_DROP,
  refusalBeforeUpload,
} from '../../src/shared/intake'
import { startServer, type RunningServer } from '../../src/main/api/server'
import { createEngine, type Engine } from '../../src/main/engine'
import { batchName } from '../../src/main/intake/batch'
import { MAX_UPLOAD_BYTES, THREAD_THRESHOLD_BYTES } from '../../src/main/intake/limits'
import { intakeHandlers } from '../../src/main/intake/operations'
import { extensionProblem, sizeProblem, SUPPORTED_EXTENSIONS } from '../../src/main/intake/parse'
import { createHandlers, invoke, type Handlers } from '../../src/main/operations'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempStore } from '../support/queue'
import { tempDir } from '../support/temp'
import { bad, BAD_ERRORS, FIXTURES, good, GOOD_JOBS, matchers } from './fixtures'

const goodNames = readdirSync(join(FIXTURES, 'good')).sort()
const badNames = readdirSync(join(FIXTURES, 'bad')).sort()
const base64 = (text: string | Buffer) => Buffer.from(text).toString('base64')
const fileOf = (path: string, name = path.split('/').at(-1)!) => ({ name, contentBase64: base64(readFileSync(path)) })
const totalGood = Object.values(GOOD_JOBS).reduce((sum, jobs) => sum + jobs.length, 0)

function setUp(options: Parameters<typeof intakeHandlers>[2] = {}) {
  const store = tempStore()
  const runtime = {
    countsMayChange: vi.fn(),
    kick: vi.fn(),
    reloadGates: vi.fn(async () => {}),
    intakeMetrics: { fileRejected: vi.fn() },
    checkProgress: vi.fn<(progress: IntakeCheck) => void>(),
  }
  const handlers = { ...createHandlers(store), ...intakeHandlers(store, runtime, options) } as Handlers
  const call = <K extends 'previewIntake' | 'commitIntake' | 'cancelIntake' | 'queueStats' | 'listJobs'>(name: K, input: OperationInput<K>) =>
    invoke(handlers, name, input)
  return { store, runtime, call }
}

const jobRows = (store: SqliteQueueStore) =>
  store.db.prepare('SELECT prompt, provider, model, priority, tags, batch_id AS batchId FROM jobs ORDER BY id').all() as {
    prompt: string
    provider: string
    model: string | null
    priority: number
    tags: string | null
    batchId: number
  }[]

async function refusal(promise: Promise<unknown>): Promise<OperationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(OperationError)
  return error as OperationError
}

describe('previewIntake', () => {
  it('reads the good and bad fixtures, with every bad file line by line, and enqueues nothing', async () => {
    const { store, call, runtime } = setUp()
    const files = [...goodNames.map((name) => fileOf(good(name))), ...badNames.map((name) => fileOf(bad(name)))]
    const preview = await call('previewIntake', { files })
    expect(preview.files).toEqual([
      ...goodNames.map((name) => ({ name, format: name.split('.').at(-1), ok: true, jobs: GOOD_JOBS[name]!.length, errors: [], moreErrors: 0 })),
      ...badNames.map((name) => ({ name, format: name.split('.').at(-1), ok: false, jobs: 0, errors: matchers(BAD_ERRORS[name]!), moreErrors: 0 })),
    ])
    expect(preview.totalJobs).toBe(totalGood)
    expect(preview.intakeId).toMatch(/^[0-9a-f-]{36}$/)
    expect(preview.expiresAt).toBeGreaterThan(Date.now())
    expect(jobRows(store)).toEqual([])
    expect(runtime.kick).not.toHaveBeenCalled()
    // Refused files counted by a short reason (the jobs are counted by the store once enqueued, not when previewed).
    expect(runtime.intakeMetrics.fileRejected.mock.calls.map(([reason]) => reason).sort()).toEqual(['empty', 'invalid', 'invalid', 'invalid'])
  })

  it('adds to the same drop a file at a time, up to 20 files', async () => {
    const { call } = setUp()
    const first = await call('previewIntake', { files: [fileOf(good('one-prompt.txt'))] })
    const second = await call('previewIntake', { intakeId: first.intakeId, files: [fileOf(bad('empty.txt')), fileOf(good('array.json'))] })
    expect(second.intakeId).toBe(first.intakeId)
    expect(second.files.map((f) => [f.name, f.ok, f.jobs])).toEqual([
      ['one-prompt.txt', true, 1],
      ['empty.txt', false, 0],
      ['array.json', true, 2],
    ])
    expect(second.totalJobs).toBe(3)
    const many = Array.from({ length: MAX_INTAKE_FILES - 2 }, (_, i) => ({ name: `p${i}.txt`, contentBase64: base64(`prompt ${i}`) }))
    const full = await call('previewIntake', { intakeId: first.intakeId, files: many.slice(0, -1) })
    expect(full.files).toHaveLength(MAX_INTAKE_FILES)
    const over = await refusal(call('previewIntake', { intakeId: first.intakeId, files: many.slice(-1) }))
    expect(over.code).toBe('INVALID_INPUT')
    expect(over.message).toBe('a drop holds at most 20 files: enqueue these, then drop the rest')
    const tooMany = await refusal(call('previewIntake', { files: [...many, ...many] }))
    expect(tooMany.message).toBe('previewIntake: files: drop at most 20 files at once')
  })

  it('parses a large file on the intake thread, as it would a small one', async () => {
    const { call } = setUp()
    const lines = Array.from({ length: 4000 }, (_, i) => JSON.stringify({ prompt: `Describe item ${i} in one paragraph, with care.`, tags: ['big'] }))
    lines[2999] = '{"prompt": 7}'
    const text = lines.join('\n')
    expect(Buffer.byteLength(text)).toBeGreaterThan(THREAD_THRESHOLD_BYTES)
    const preview = await call('previewIntake', {
      files: [
        { name: 'large.jsonl', contentBase64: base64(text.replace('{"prompt": 7}', '{"prompt": "seven"}')) },
        { name: 'large-bad.jsonl', contentBase64: base64(text) },
      ],
    })
    expect(preview.files.map((f) => [f.name, f.jobs, f.errors])).toEqual([
      ['large.jsonl', 4000, []],
      ['large-bad.jsonl', 0, ['large-bad.jsonl:3000: prompt: Invalid input: expected string, received number']],
    ])
  })

  it("tells a big file's check as it goes to the call that named it, line by line to the last", async () => {
    const { call, runtime } = setUp()
    const text = Array.from({ length: 6000 }, (_, i) => JSON.stringify({ prompt: `Describe item ${i} in one paragraph, with care.` })).join('\n')
    expect(Buffer.byteLength(text)).toBeGreaterThan(THREAD_THRESHOLD_BYTES)
    await call('previewIntake', { files: [{ name: 'unnamed.jsonl', contentBase64: base64(text) }] })
    expect(runtime.checkProgress).not.toHaveBeenCalled()
    const checkId = '0b7d4a8e-53c2-4f4e-a3c8-7d1e1f6b9a20'
    await call('previewIntake', { checkId, files: [{ name: 'big.jsonl', contentBase64: base64(text) }] })
    const told = runtime.checkProgress.mock.calls.map(([progress]) => progress)
    // A message of the intake thread at a time, each further, the last at the file's last line.
    expect(told.length).toBeGreaterThan(3)
    expect(told.every((progress) => progress.checkId === checkId && progress.name === 'big.jsonl' && progress.lines === 6000)).toBe(true)
    expect(told.map((progress) => progress.line)).toEqual([...told.map((progress) => progress.line)].sort((a, b) => a - b))
    expect(told.at(-1)!.line).toBe(6000)
  })

  it('refuses content that is not base64, and a drop it no longer holds', async () => {
    const { call } = setUp()
    const notBase64 = await refusal(call('previewIntake', { files: [{ name: 'a.txt', contentBase64: 'not base64!' }] }))
    expect(notBase64).toMatchObject({ code: 'INVALID_INPUT', message: "a.txt: the content is not base64 (send the file's bytes base64-encoded)" })
    const unknown = await refusal(call('previewIntake', { intakeId: '6f1c3a55-1d0e-4b7e-9d59-2a61f0a4c2b1', files: [fileOf(good('one-prompt.txt'))] }))
    expect(unknown.code).toBe('NOT_FOUND')
    expect(unknown.message).toContain('is no longer held (it was enqueued, cancelled, or left for more than 10 minutes): drop the files again')
    const badId = await refusal(call('cancelIntake', { intakeId: 'nope' }))
    expect(badId.message).toBe('cancelIntake: intakeId: an intake id is the one previewIntake answered')
  })

  it('refuses a file whose jobs would take the drop over the most one drop takes', async () => {
    // A million by default (MAX_JOBS_PER_DROP): the rule is the same at any size.
    const most = 2_000
    const { call, runtime } = setUp({ maxJobsPerDrop: most })
    const lines = (n: number) => base64(Array.from({ length: n }, (_, i) => `{"prompt":"p${i}"}`).join('\n'))
    const first = await call('previewIntake', { files: [{ name: 'most.jsonl', contentBase64: lines(most - 1) }] })
    const second = await call('previewIntake', { intakeId: first.intakeId, files: [{ name: 'two.jsonl', contentBase64: lines(2) }] })
    expect(second.files[1]).toMatchObject({
      ok: false,
      errors: [`two.jsonl: its 2 jobs would take this drop over ${most} jobs, the most one drop takes: drop it on its own`],
    })
    expect(second.totalJobs).toBe(most - 1)
    // Counted under its own reason in genops_intake_rejected_files_total.
    expect(runtime.intakeMetrics.fileRejected).toHaveBeenCalledWith('too-many-jobs')
    expect(MAX_JOBS_PER_DROP).toBe(1_000_000)
  })
})

describe('commitIntake', () => {
  it('enqueues the good files as one batch named from them, with the choices made, and nothing from the bad ones', async () => {
    const { store, call, runtime } = setUp()
    const files = [fileOf(good('components.jsonl')), fileOf(bad('broken-line.jsonl')), fileOf(good('array.json')), fileOf(bad('wrong-types.json'))]
    const { intakeId } = await call('previewIntake', { files })
    const committed = await call('commitIntake', { intakeId, defaults: { provider: 'sim', model: 'sim-large', priority: 'low', tags: ['drop', 'ui'] } })
    const expected = [...GOOD_JOBS['components.jsonl']!, ...GOOD_JOBS['array.json']!]
    expect(committed).toEqual({
      batchId: 1,
      batchName: batchName(['components.jsonl', 'array.json']),
      jobIds: expected.map((_, i) => i + 1),
      duplicates: 0,
      files: [
        { name: 'components.jsonl', jobs: 50 },
        { name: 'array.json', jobs: 2 },
      ],
      refusedFiles: ['broken-line.jsonl', 'wrong-types.json'],
    })
    expect(committed.batchName).toBe('components.jsonl + 1 more')
    const rows = jobRows(store)
    expect(rows.map((r) => r.prompt)).toEqual(expected.map((job) => job.prompt))
    expect(new Set(rows.map((r) => r.batchId))).toEqual(new Set([1]))
    // A job's own priority wins; the drop's applies where the file gives none. Tags add to the job's own.
    expect(rows[0]).toMatchObject({ provider: 'sim', model: 'sim-large', priority: 2, tags: JSON.stringify(['ui', 'batch-a', 'drop']) })
    expect(rows[50]).toMatchObject({ prompt: "Translate 'good morning' into French, German and Japanese.", priority: 2, tags: JSON.stringify(['drop', 'ui']) })
    expect(rows[51]).toMatchObject({ priority: 0 })
    expect(runtime.kick).toHaveBeenCalledOnce()
    expect(runtime.countsMayChange).toHaveBeenCalled()
    expect(runtime.reloadGates).not.toHaveBeenCalled()
    // Enqueued once: the drop is gone.
    expect((await refusal(call('commitIntake', { intakeId }))).code).toBe('NOT_FOUND')
    expect(await call('cancelIntake', { intakeId })).toEqual({ cancelled: false })
  })

  it('caps the batch when asked, and reloads the gates', async () => {
    const { store, call, runtime } = setUp()
    const { intakeId } = await call('previewIntake', { files: [fileOf(good('products.csv'))] })
    await call('commitIntake', { intakeId, maxConcurrency: 2 })
    expect(store.db.prepare('SELECT max_concurrency FROM batches').pluck().get()).toBe(2)
    expect(runtime.reloadGates).toHaveBeenCalledOnce()
  })

  it('enqueues nothing when every file was refused, and keeps the drop', async () => {
    const { store, call } = setUp()
    const { intakeId } = await call('previewIntake', { files: badNames.map((name) => fileOf(bad(name))) })
    const error = await refusal(call('commitIntake', { intakeId }))
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'nothing to enqueue: every file of this drop was refused (fix them and drop them again)' })
    expect(jobRows(store)).toEqual([])
    expect(store.db.prepare('SELECT count(*) FROM batches').pluck().get()).toBe(0)
    expect(await call('cancelIntake', { intakeId })).toEqual({ cancelled: true })
  })

  it('keeps the drop when the enqueue fails, so Enqueue can be pressed again', async () => {
    const { store, call } = setUp()
    const { intakeId } = await call('previewIntake', { files: [fileOf(good('array.json'))] })
    const enqueue = store.enqueue.bind(store)
    const spy = vi.spyOn(store, 'enqueue').mockImplementationOnce(() => {
      throw new Error('database is locked')
    })
    await expect(call('commitIntake', { intakeId })).rejects.toThrow('database is locked')
    spy.mockImplementation(enqueue)
    expect((await call('commitIntake', { intakeId })).jobIds).toEqual([1, 2])
  })

  it("refuses tags that would take a job over JobSpec's limit", async () => {
    const { store, call } = setUp()
    const { intakeId } = await call('previewIntake', {
      files: [{ name: 'tagged.jsonl', contentBase64: base64(JSON.stringify({ prompt: 'x', tags: ['a', 'b'] })) }],
    })
    const tags = Array.from({ length: 49 }, (_, i) => `t${i}`)
    const error = await refusal(call('commitIntake', { intakeId, defaults: { tags } }))
    expect(error.message).toBe("a job would carry 51 tags with the drop's, over the limit of 50: give fewer tags")
    expect(jobRows(store)).toEqual([])
  })
})

describe('held drops', () => {
  it('are forgotten 10 minutes after they were last touched', async () => {
    let now = 1_000_000
    const { call } = setUp({ now: () => now })
    const { intakeId } = await call('previewIntake', { files: [fileOf(good('one-prompt.txt'))] })
    now += INTAKE_TTL_MS - 1
    // Touching it keeps it longer.
    const again = await call('previewIntake', { intakeId, files: [fileOf(good('array.json'))] })
    expect(again.expiresAt).toBe(now + INTAKE_TTL_MS)
    now += INTAKE_TTL_MS
    expect((await refusal(call('commitIntake', { intakeId }))).code).toBe('NOT_FOUND')
  })

  it('let the least recently touched go when too many jobs are held', async () => {
    const { call } = setUp({ maxJobs: 60 })
    const a = await call('previewIntake', { files: [fileOf(good('components.jsonl'))] })
    const b = await call('previewIntake', { files: [fileOf(good('array.json'))] })
    const c = await call('previewIntake', { files: [fileOf(good('products.csv'))] })
    expect(await call('cancelIntake', { intakeId: a.intakeId })).toEqual({ cancelled: false })
    expect(await call('cancelIntake', { intakeId: b.intakeId })).toEqual({ cancelled: true })
    expect(await call('cancelIntake', { intakeId: c.intakeId })).toEqual({ cancelled: true })
  })

  it('are cancelled without a trace in the queue', async () => {
    const { store, call } = setUp()
    const { intakeId } = await call('previewIntake', { files: [fileOf(good('array.json'))] })
    expect(await call('cancelIntake', { intakeId })).toEqual({ cancelled: true })
    expect((await refusal(call('commitIntake', { intakeId }))).code).toBe('NOT_FOUND')
    expect(jobRows(store)).toEqual([])
  })
})

describe("the window's own checks before upload", () => {
  it('use the limits and words of the engine', () => {
    expect(MAX_INTAKE_FILE_BYTES).toBe(MAX_UPLOAD_BYTES)
    expect([...INTAKE_EXTENSIONS]).toEqual(SUPPORTED_EXTENSIONS)
    for (const name of ['video.mp4', 'Makefile', '.txt', 'notes.', 'UPPER.JSONL', 'a.csv']) {
      const engine = extensionProblem(name)
      expect(refusalBeforeUpload(name, 10)).toBe(engine === null ? null : `${name}: ${engine}`)
    }
    expect(refusalBeforeUpload('big.jsonl', MAX_UPLOAD_BYTES + 1)).toBe(`big.jsonl: ${sizeProblem(MAX_UPLOAD_BYTES + 1, MAX_UPLOAD_BYTES)}`)
    expect(refusalBeforeUpload('big.jsonl', MAX_UPLOAD_BYTES)).toBeNull()
  })
})

describe('previewIntake over HTTP', () => {
  let engine: Engine | undefined
  let server: RunningServer | undefined
  afterEach(async () => {
    await server?.close()
    await engine?.close(1000)
  })

  it('takes a body larger than other operations may send', async () => {
    engine = await createEngine({ dataDir: tempDir(), threads: 1, pollMs: 50 })
    server = await startServer({ engine, host: '127.0.0.1', port: 0, token: 'token-0123456789', rendererDir: tempDir(), maxBodyBytes: 64 * 1024 })
    const post = (name: string, body: unknown) =>
      fetch(`http://127.0.0.1:${server!.port}/api/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer token-0123456789' },
        body: JSON.stringify(body),
      })
    const prompts = Array.from({ length: 2000 }, (_, i) => ({ prompt: `Write a haiku about the number ${i}.` }))
    expect((await post('enqueueJobs', { jobs: prompts })).status).toBe(413)
    const text = prompts.map((p) => JSON.stringify(p)).join('\n')
    const preview = await post('previewIntake', { files: [{ name: 'haiku.jsonl', contentBase64: base64(text) }] })
    expect(preview.status).toBe(200)
    const { intakeId, totalJobs } = (await preview.json()) as { intakeId: string; totalJobs: number }
    expect(totalJobs).toBe(2000)
    const committed = await post('commitIntake', { intakeId, defaults: { priority: 'high' } })
    expect(committed.status).toBe(200)
    expect(((await committed.json()) as { jobIds: number[] }).jobIds).toHaveLength(2000)
  })
})
