/**
 * Traces end to end: a real engine, pool and SQLite file, a fake OpenAI-compatible server
 * that records the traceparent it is sent, and a test OTLP/HTTP receiver on loopback that
 * the SDK's exporter sends the spans to.
 */
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { JOB_SPANS, PRUNE_SPANS } from '../../src/main/store/sqlite/queue/spans'
import type { QueueStore } from '../../src/main/queue/store'
import { attemptSpans, beginAttemptTrace } from '../../src/main/telemetry/attempt-trace'
import { TraceRecorder, DEFAULT_TRACES } from '../../src/main/telemetry/traces'
import { otlpTracesUrl } from '../../src/main/telemetry/traces-otlp'
import type { StoredSpan, TraceSpan } from '../../src/shared/traces'
import runAttempt from '../../src/workers/attempt'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { tokens } from '../support/fake-server'
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver'
import { job, T0, tempStore } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

let engine: Engine | undefined
let fake: FakeOpenAI | undefined
let receiver: OtlpReceiver | undefined
afterEach(async () => {
  await engine?.close(1000)
  await fake?.close()
  await receiver?.close()
  engine = fake = receiver = undefined
})

async function start(dataDir: string, overrides: Partial<Parameters<typeof createEngine>[0]> = {}): Promise<Engine> {
  engine = await createEngine({ dataDir, threads: 1, pollMs: 50, backoff: { baseMs: 10, maxMs: 20 }, ...overrides })
  return engine
}

const finished = (id: number) =>
  waitFor(
    () => engine!.call('getJob', { id }),
    (job) => job.state === 'completed' || job.state === 'dead',
    { what: `job ${id} to finish` },
  )
/** Spans are written a few times a second, after the result: wait for them rather than for a time. */
const traceOf = (jobId: number, spans: number) =>
  waitFor(
    () => engine!.call('getTrace', { jobId }),
    (trace) => trace.spans.length >= spans,
    { what: `${spans} spans of job ${jobId}` },
  )
const named = (spans: TraceSpan[], name: string) => spans.find((span) => span.name === name)!

function attemptTraceIds(dataDir: string): (string | null)[] {
  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  try {
    return db.prepare('SELECT trace_id FROM job_attempts ORDER BY id').pluck().all() as (string | null)[]
  } finally {
    db.close()
  }
}

describe('an attempt’s trace', () => {
  it('reaches an OTLP receiver and the database with its phases under the attempt, and the provider gets its traceparent', async () => {
    receiver = await startOtlpReceiver()
    fake = await startFakeOpenAI({ text: '{"answer": "traced, and streamed"}', chunkDelayMs: 5 })
    const dataDir = tempDir()
    await start(dataDir, { traces: { otlpEndpoint: receiver.origin } })
    const { batchId } = await engine!.call('enqueueJobs', {
      jobs: [{ prompt: 'hi', provider: 'openai', model: 'gpt-test', config: { baseUrl: fake.url, maxTokens: 50, temperature: 0.5, output: 'json' } }],
    })
    expect((await finished(1)).state).toBe('completed')

    // In the database, for the waterfall.
    const { spans } = await traceOf(1, 5)
    expect(spans.map((span) => span.name).sort()).toEqual(['artifact write', 'attempt', 'provider call', 'queue wait', 'validation'])
    const root = named(spans, 'attempt')
    expect(root).toMatchObject({ parentSpanId: null, attempt: 1, status: 'ok' })
    for (const span of spans.filter((span) => span !== root)) {
      expect(span).toMatchObject({ traceId: root.traceId, parentSpanId: root.spanId })
      expect(span.startMs).toBeGreaterThanOrEqual(root.startMs)
      expect(span.endMs).toBeLessThanOrEqual(root.endMs)
      expect(span.endMs).toBeGreaterThanOrEqual(span.startMs)
    }
    expect(new Set(spans.map((span) => span.spanId)).size).toBe(5)
    const [wait, call, validation, write] = ['queue wait', 'provider call', 'validation', 'artifact write'].map((name) => named(spans, name))
    expect(wait!.startMs).toBe(root.startMs)
    expect(call!.startMs).toBeGreaterThanOrEqual(wait!.endMs)
    expect(validation!.startMs).toBeGreaterThanOrEqual(call!.endMs)
    expect(write!.startMs).toBeGreaterThanOrEqual(validation!.endMs)
    const [firstToken] = call!.events
    expect(firstToken!.name).toBe('first token')
    expect(firstToken!.timeMs).toBeGreaterThanOrEqual(call!.startMs)
    expect(firstToken!.timeMs).toBeLessThanOrEqual(call!.endMs)
    expect(root.attributes).toEqual({ 'genops.job.id': 1, 'genops.attempt': 1, 'genops.batch.id': batchId })
    expect(call!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.usage.input_tokens': 1,
      'gen_ai.usage.output_tokens': tokens(fake.text).length,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(fake.url).port),
    })

    // The provider call's own span is the parent the provider was told about.
    expect(fake.requests[0]!.headers.traceparent).toBe(`00-${root.traceId}-${call!.spanId}-01`)
    expect(attemptTraceIds(dataDir)).toEqual([root.traceId])

    // Closing sends what the batch processor still holds.
    await engine!.close(1000)
    engine = undefined
    const exported = receiver.spans.filter((span) => span.traceId === root.traceId)
    expect(exported).toHaveLength(5)
    expect(receiver.requests.every((request) => request.path === '/v1/traces' && request.headers['content-type'] === 'application/json')).toBe(true)
    const exportedRoot = exported.find((span) => span.name === 'attempt')!
    expect(exportedRoot).toMatchObject({ spanId: root.spanId, parentSpanId: null, kind: 1, status: { code: 1 } })
    expect(exportedRoot.resource).toMatchObject({ 'service.name': 'genops' })
    expect(exportedRoot.attributes).toMatchObject({ 'genops.job.id': 1, 'genops.batch.id': batchId })
    for (const span of exported.filter((span) => span !== exportedRoot)) expect(span.parentSpanId).toBe(root.spanId)
    const exportedCall = exported.find((span) => span.name === 'provider call')!
    // A client span: the call leaves the process.
    expect(exportedCall).toMatchObject({ spanId: call!.spanId, kind: 3, events: [{ name: 'first token' }] })
    expect(exportedCall.attributes).toMatchObject({
      'gen_ai.usage.output_tokens': tokens(fake.text).length,
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-test',
    })
    expect(exportedCall.startMs).toBeCloseTo(call!.startMs, 0)
  })

  it('says which phase failed, one trace per attempt', async () => {
    await start(tempDir())
    await engine!.call('enqueueJobs', { jobs: [{ prompt: 'flaky', attempts: 2, config: { failAttempts: 1 } }] })
    expect((await finished(1)).state).toBe('completed')
    const { spans } = await traceOf(1, 7)
    const [first, second] = [1, 2].map((attempt) => spans.filter((span) => span.attempt === attempt))
    expect(first!.map((span) => span.name)).toEqual(['attempt', 'queue wait', 'provider call'])
    expect(named(first!, 'attempt')).toMatchObject({ status: 'error', attributes: { 'error.type': 'SERVICE_UNAVAILABLE' } })
    expect(named(first!, 'attempt').statusMessage).toMatch(/simulated SERVICE_UNAVAILABLE/)
    expect(named(first!, 'provider call')).toMatchObject({ status: 'error', attributes: { 'error.type': 'SERVICE_UNAVAILABLE' } })
    expect(named(second!, 'attempt')).toMatchObject({ status: 'ok', statusMessage: null })
    expect(named(second!, 'attempt').traceId).not.toBe(named(first!, 'attempt').traceId)
  })

  it('marks the validation as what failed when the output is not what the job asked for', async () => {
    fake = await startFakeOpenAI({ text: 'not json at all' })
    await start(tempDir())
    await engine!.call('enqueueJobs', { jobs: [{ prompt: 'json please', provider: 'openai', model: 'm', config: { baseUrl: fake.url, output: 'json' } }] })
    expect((await finished(1)).state).toBe('dead')
    const { spans } = await traceOf(1, 4)
    expect(named(spans, 'provider call').status).toBe('unset')
    expect(named(spans, 'validation')).toMatchObject({ status: 'error', attributes: { 'error.type': 'VALIDATION' } })
    expect(spans.some((span) => span.name === 'artifact write')).toBe(false)
  })

  it('records nothing and sends no traceparent when traces are off', async () => {
    fake = await startFakeOpenAI()
    const dataDir = tempDir()
    await start(dataDir, { traces: { enabled: false } })
    await engine!.call('enqueueJobs', { jobs: [{ prompt: 'hi', provider: 'openai', model: 'm', config: { baseUrl: fake.url } }] })
    expect((await finished(1)).state).toBe('completed')
    expect(fake.requests[0]!.headers.traceparent).toBeUndefined()
    expect((await engine!.call('getTrace', { jobId: 1 })).spans).toEqual([])
    expect(attemptTraceIds(dataDir)).toEqual([null])
  })

  it('keeps a failed attempt’s spans and drops a completed one’s when it was not sampled', async () => {
    fake = await startFakeOpenAI()
    const dataDir = tempDir()
    await start(dataDir, { traces: { sampleRatio: 0 } })
    await engine!.call('enqueueJobs', { jobs: [{ prompt: 'fine', provider: 'openai', model: 'm', config: { baseUrl: fake.url } }] })
    expect((await finished(1)).state).toBe('completed')
    await engine!.call('enqueueJobs', { jobs: [{ prompt: 'broken', attempts: 1, config: { failAttempts: 1 } }] })
    expect((await finished(2)).state).toBe('dead')
    const { spans } = await traceOf(2, 3)
    expect(named(spans, 'attempt').status).toBe('error')
    expect((await engine!.call('getTrace', { jobId: 1 })).spans).toEqual([])
    // Still a trace id for the log and the provider, flagged as not sampled.
    const [unsampled] = attemptTraceIds(dataDir)
    expect(fake.requests[0]!.headers.traceparent).toMatch(new RegExp(`^00-${unsampled}-[0-9a-f]{16}-00$`))
  })

  it('answers NOT_FOUND for a job that does not exist', async () => {
    await start(tempDir())
    await expect(engine!.call('getTrace', { jobId: 404 })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('refuses an OTLP endpoint that is not an http URL, or a ratio past 1, naming them', async () => {
    await expect(createEngine({ dataDir: tempDir(), traces: { otlpEndpoint: 'ftp://collector' } })).rejects.toThrow(
      'traces.otlpEndpoint: traces.otlpEndpoint must be an http:// or https:// URL',
    )
    await expect(createEngine({ dataDir: tempDir(), traces: { sampleRatio: 2 } })).rejects.toThrow('traces.sampleRatio must be from 0 to 1')
  })
})

describe('a worker’s phases', () => {
  const task = { id: 1, attempt: 1, provider: 'sim', model: null, prompt: 'p', batchId: null, artifactsDir: null, channel: 'genops-test-phases' }

  it('are timed under the traceparent the task carries, and not at all without one', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const traced = await runAttempt({ ...task, config: { latencyMs: 30, outputTokens: 3 }, traceparent })
    expect(traced.spans?.map((span) => span.name)).toEqual(['provider call'])
    const call = traced.spans![0]!
    expect(call.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(call.endMs - call.startMs).toBeGreaterThanOrEqual(25)
    expect(call.firstTokenMs).toBeGreaterThan(call.startMs)
    // Validation has a span only when the job names an output format: otherwise nothing is validated.
    const validated = await runAttempt({ ...task, config: { output: 'json' }, traceparent })
    expect(validated.spans?.map((span) => span.name)).toEqual(['provider call', 'validation'])
    expect((await runAttempt({ ...task, config: {} })).spans).toBeUndefined()
    expect((await runAttempt({ ...task, config: {}, traceparent: 'not-a-traceparent' })).spans).toBeUndefined()
  })
})

describe('spans in the store', () => {
  const span = (jobId: number, name: string, startMs: number, endMs: number): StoredSpan => ({
    jobId,
    attempt: 1,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: Math.random().toString(16).slice(2, 18).padEnd(16, '0'),
    parentSpanId: null,
    name,
    startMs,
    endMs,
    status: 'unset',
    statusMessage: null,
    attributes: {},
    events: [],
  })

  it('prunes the oldest spans a slice at a time and keeps those within the retention', () => {
    const store = tempStore()
    const old = Array.from({ length: 25 }, (_, i) => span(1, 'attempt', T0 - 100_000 + i, T0 - 50_000 + i))
    const recent = Array.from({ length: 5 }, (_, i) => span(1, 'attempt', T0 + i, T0 + 10 + i))
    store.saveSpans([...old, ...recent])
    expect(store.pruneSpans(T0, 10)).toBe(10)
    expect(store.pruneSpans(T0, 10)).toBe(10)
    expect(store.pruneSpans(T0, 10)).toBe(5)
    expect(store.pruneSpans(T0, 10)).toBe(0)
    expect(store.db.prepare('SELECT count(*) FROM spans').pluck().get()).toBe(5)
  })

  it('shows a job only the spans from after it was created (ids are taken again once the newest jobs are deleted)', () => {
    const store = tempStore()
    store.enqueue([job('a')], 'b', T0)
    store.saveSpans([span(1, 'attempt', T0 - 5000, T0 - 4000), span(1, 'attempt', T0 + 10, T0 + 20), span(2, 'attempt', T0 + 10, T0 + 20)])
    expect(store.jobSpans(1)!.map((s) => s.startMs)).toEqual([T0 + 10])
    expect(store.jobSpans(2)).toBeNull()
  })

  it('reads a job’s spans by its index and prunes by the primary key', () => {
    const store = tempStore()
    const plan = (text: string, args: Record<string, number>) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(args) as { detail: string }[]).map((row) => row.detail).join('; ')
    expect(plan(JOB_SPANS, { jobId: 1, createdAt: 0 })).toMatch(/SEARCH spans USING INDEX spans_by_job \(job_id=\?\)/)
    expect(plan(PRUNE_SPANS, { before: 0, limit: 10 })).toMatch(/SEARCH spans USING INTEGER PRIMARY KEY \(rowid=\?\)/)
  })

  it('adds the spans table and a trace id to each attempt when the database is upgraded', () => {
    const store = tempStore()
    const columns = (table: string) => (store.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name)
    expect(columns('spans')).toEqual(expect.arrayContaining(['trace_id', 'span_id', 'parent_span_id', 'job_id', 'attempt', 'attributes', 'events']))
    expect(columns('job_attempts')).toContain('trace_id')
  })
})

describe('the trace recorder', () => {
  it('writes spans in batches of hundreds, not a transaction per span', async () => {
    const writes: number[] = []
    const store = { saveSpans: (spans: readonly StoredSpan[]) => void writes.push(spans.length) } as unknown as QueueStore
    // Above the default rate every attempt is kept, as when attempts are LLM-paced.
    const recorder = new TraceRecorder(store, { ...DEFAULT_TRACES, maxPerSecond: 10_000 }, (error) => {
      throw error
    })
    for (let id = 1; id <= 300; id++) {
      const claimed = { ...job('p'), id, batchId: 1, attempt: 1, startedAt: T0, readyAt: T0, config: {} }
      const trace = recorder.begin(claimed, { provider: 'sim', model: null, config: {} })
      recorder.record({
        job: claimed,
        trace,
        outcome: { ok: true, output: 'x', artifact: null, inputTokens: 1, outputTokens: 1, firstTokenMs: 1, durationMs: 1 },
        endedAt: T0 + 5,
      })
    }
    await recorder.close()
    expect(writes.reduce((a, b) => a + b, 0)).toBe(600)
    expect(writes.length).toBeLessThanOrEqual(2)
  })

  it('masks a key in a failure message before it becomes a span', () => {
    const claimed = { ...job('p'), id: 1, batchId: null, attempt: 1, startedAt: T0, readyAt: T0, config: {} }
    const trace = beginAttemptTrace(claimed, {
      provider: 'openai',
      model: 'm',
      config: { baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-never-in-a-span-0123456789' },
    })
    const outcome = {
      ok: false as const,
      category: 'AUTH' as const,
      message: 'bad key sk-never-in-a-span-0123456789',
      retryable: false,
      retryAfterMs: null,
      durationMs: 1,
    }
    const spans = attemptSpans({ job: claimed, trace, outcome, endedAt: T0 + 1 })
    expect(JSON.stringify(spans)).not.toContain('sk-never-in-a-span')
    expect(spans[0]!.statusMessage).toBe('bad key [REDACTED]')
  })
})

describe('where spans are exported', () => {
  it('takes the configured endpoint, else the standard OpenTelemetry variables, else none', () => {
    expect(otlpTracesUrl('http://collector:4318/', {})).toBe('http://collector:4318/v1/traces')
    expect(otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' })).toBe('http://otel:4318/v1/traces')
    expect(otlpTracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/x' })).toBe(
      'http://t:1/x',
    )
    expect(otlpTracesUrl(undefined, {})).toBeNull()
  })
})
