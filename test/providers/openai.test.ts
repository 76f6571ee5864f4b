/**
 * The openai provider against a real HTTP server on loopback speaking the chat
 * completions protocol, through the official SDK: streaming, usage, every fault in its
 * category, a cancel that the server sees as a disconnect, and one job through the engine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AttemptError } from '../../src/shared/errors'
import { createEngine, type Engine } from '../../src/main/engine'
import { configProblem, type OpenAIConfig } from '../../src/shared/job-config'
import type { QuotaReading } from '../../src/shared/ratelimit-headers'
import type { ProfileEndpoint } from '../../src/workers/protocol'
import { openai } from '../../src/workers/providers/openai'
import { startFakeOpenAI, type FakeOpenAI, type OpenAIFault } from '../support/fake-openai'
import { startFakeQuotaOpenAI } from '../support/fake-quota-openai'
import { tokens } from '../support/fake-server'
import { tempDir } from '../support/temp'
import { attemptFailure, expectCancelMidStream, generateWith, withEnv } from '../support/providers'
import { waitFor } from '../support/wait'

const KEY = 'sk-test-openai-0123456789abcdef'
withEnv('OPENAI_API_KEY', KEY)
let fake: FakeOpenAI

beforeEach(async () => {
  fake = await startFakeOpenAI()
})
afterEach(async () => {
  await fake.close()
})

/** As a job for a profile whose endpoint is the fake server, with its key; `endpoint: null` for a job of no profile. */
function generate(
  config: OpenAIConfig = {},
  { model = 'gpt-test' as string | null, signal = new AbortController().signal, endpoint = { profile: 'gateway', baseUrl: fake.url, apiKey: KEY } as ProfileEndpoint | null } = {},
) {
  return generateWith(openai, 'Say hello to the operator', model, config, signal, endpoint ?? undefined)
}

describe('openai provider', () => {
  it('streams the answer with usage and progress, sending the job’s parameters', async () => {
    const { result, progress } = generate({ system: 'Be brief.', temperature: 0.2, maxTokens: 64, stop: ['\n\n'], seed: 7, topP: 0.9 })
    const generation = await result
    const chunks = tokens(fake.text).length
    expect(generation).toEqual({ text: fake.text, inputTokens: tokens('Be brief.').length + tokens('Say hello to the operator').length, outputTokens: chunks })
    expect(progress.map(([n]) => n)).toEqual([...Array.from({ length: chunks }, (_, i) => i + 1), chunks])
    expect(progress.at(-1)).toEqual([chunks, 1])

    const [request] = fake.requests
    expect(request!.headers.authorization).toBe(`Bearer ${KEY}`)
    expect(request!.body).toMatchObject({
      model: 'gpt-test',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello to the operator' },
      ],
      temperature: 0.2,
      max_tokens: 64,
      stop: ['\n\n'],
      seed: 7,
      top_p: 0.9,
    })
    expect(request!.finished).toBe(true)
  })

  it('counts chunks when the server sends no usage', async () => {
    fake.usage = false
    const generation = await generate().result
    expect(generation.inputTokens).toBeNull()
    expect(generation.outputTokens).toBe(tokens(fake.text).length)
  })

  it('refuses a job it cannot run before sending anything, naming the field', async () => {
    expect((await attemptFailure(generate({}, { model: null }).result)).message).toMatch(/names no model/)
    // The config's own schema names the field (the worker checks it before the provider sees it).
    expect(configProblem('openai', { temperature: 'hot' })).toMatch(/^config\.temperature: /)
    expect(configProblem('openai', { maxTokens: 1.5 })).toBe('config.maxTokens: maxTokens must be a whole number from 1 to 10000000')
    expect(configProblem('openai', { stop: [1] })).toMatch(/^config\.stop/)
    expect(configProblem('openai', { baseUrl: 'file:///etc/passwd' })).toContain('must be http:// or https://')
    expect(configProblem('openai', { baseUrl: 'not a url' })).toContain('baseUrl is not a URL')
    // Whatever reached the worker: a job's endpoint off this machine, or one that moves a profile's, sends nothing.
    const remote = await attemptFailure(generate({ baseUrl: 'https://api.example.invalid/v1' }, { endpoint: null }).result)
    expect({ category: remote.category, retryable: remote.retryable }).toEqual({ category: 'VALIDATION', retryable: false })
    expect(remote.message).toContain('a job may only point at a server on this machine')
    const redirect = await attemptFailure(generate({ baseUrl: fake.url }).result)
    expect(redirect.message).toBe('config.baseUrl: a job cannot redirect profile "gateway"')
    expect(fake.requests).toHaveLength(0)
  })

  it('wants OPENAI_API_KEY for OpenAI itself and a key file for a remote profile, and sends no key to a server a job chose', async () => {
    delete process.env.OPENAI_API_KEY
    const missing = await attemptFailure(generate({}, { endpoint: null }).result)
    expect(missing.category).toBe('AUTH')
    expect(missing.message).toContain('set OPENAI_API_KEY')
    process.env.OPENAI_API_KEY = KEY
    // The environment's key is OpenAI's: a profile's other endpoint never gets it.
    const keyless = await attemptFailure(generate({}, { endpoint: { profile: 'remote', baseUrl: 'https://api.example.invalid/v1' } }).result)
    expect(keyless.message).toBe('openai: profile "remote" has no key for https://api.example.invalid: give it a key file (genops providers add remote --key-file FILE)')
    process.env.OPENAI_ORG_ID = 'org-of-the-operator'
    try {
      const local = await generate({ baseUrl: fake.url.replace('127.0.0.1', 'localhost') }, { endpoint: null }).result
      expect(local.text).toBe(fake.text)
    } finally {
      delete process.env.OPENAI_ORG_ID
    }
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer no-key-needed-for-local-server')
    expect(fake.requests[0]!.headers['openai-organization']).toBeUndefined()
  })

  it.each<[string, string, boolean, number | undefined, OpenAIFault]>([
    ['429 with Retry-After', 'RATE_LIMIT', true, 7000, { status: 429, headers: { 'retry-after': '7' } }],
    ['429 with retry-after-ms', 'RATE_LIMIT', true, 1500, { status: 429, headers: { 'retry-after-ms': '1500', 'retry-after': '2' } }],
    ['500', 'PROVIDER', true, undefined, { status: 500 }],
    ['503 with Retry-After', 'SERVICE_UNAVAILABLE', true, 3000, { status: 503, headers: { 'retry-after': '3' } }],
    ['401', 'AUTH', false, undefined, { status: 401 }],
    ['404 unknown model', 'MODEL', false, undefined, { status: 404 }],
    ['a disconnect mid-stream', 'NETWORK', true, undefined, { disconnectAfterChunks: 2 }],
    ['malformed JSON mid-stream', 'PROVIDER', true, undefined, { malformedAfterChunks: 2 }],
    ['an error event mid-stream', 'PROVIDER', true, undefined, { streamErrorAfterChunks: 2 }],
  ])('%s → %s (retryable %s, Retry-After %s ms)', async (_name, category, retryable, retryAfterMs, fault) => {
    fake.fault = fault
    const { result, progress } = generate()
    const error = await attemptFailure(result)
    // A fault mid-stream comes after some of the answer did: what fails there is the stream, not the request.
    if (!('status' in fault)) expect(progress.length).toBeGreaterThanOrEqual(2)
    expect({ category: error.category, retryable: error.retryable, retryAfterMs: error.retryAfterMs }).toEqual({ category, retryable, retryAfterMs })
    expect(error.message).not.toContain(KEY.slice(8))
    // The SDK's retries are off: one request per attempt, whatever the fault.
    expect(fake.requests).toHaveLength(1)
  })

  it('says what a 401 means for the operator, without the key', async () => {
    fake.fault = { status: 401 }
    const error = await attemptFailure(generate().result)
    expect(error.message).toMatch(/^HTTP 401 not authenticated: Incorrect API key provided: \[REDACTED\].*the key sent was the key saved with profile "gateway" \(in the OS keychain\)$/)
  })

  it('stops the HTTP call at once when cancelled mid-stream: the server sees the client leave', async () => {
    await expectCancelMidStream(fake, (signal) => generate({}, { signal }))
  })

  it('stops waiting for a slow first byte when cancelled, and reports the abort’s reason', async () => {
    fake.fault = { slowFirstByteMs: 60_000 }
    const controller = new AbortController()
    const { result } = generate({}, { signal: controller.signal })
    await waitFor(
      () => fake.requests.length,
      (n) => n === 1,
      { what: 'the request to arrive' },
    )
    controller.abort(new AttemptError('TIMEOUT', 'no first token within 500 ms'))
    const error = await attemptFailure(result)
    expect({ category: error.category, message: error.message }).toEqual({ category: 'TIMEOUT', message: 'no first token within 500 ms' })
    await waitFor(
      () => fake.requests[0]!,
      (request) => request.disconnected,
      { what: 'the server to see the disconnect' },
    )
  })
})

describe('openai through the engine', () => {
  let engine: Engine | undefined
  afterEach(async () => {
    await engine?.close(1000)
    engine = undefined
  })

  it('runs a job in a pool worker against the endpoint and keeps its output; a 401 pauses the provider and gives the attempt back', async () => {
    // The worker thread copies process.env when the pool starts: the key must be set before.
    // Cache off: the second job asks the same server the same thing, and must reach it to be refused.
    engine = await createEngine({ dataDir: tempDir(), threads: 1, pollMs: 50, cache: { enabled: false } })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'hi', provider: 'openai', model: 'gpt-test', config: { baseUrl: fake.url } }] })
    await waitFor(
      () => engine!.call('queueStats', {}),
      (s) => s.counts.completed === 1,
      { what: 'the job to complete' },
    )
    const job = await engine.call('getJob', { id: 1 })
    expect(job.output).toBe(fake.text)
    expect(job.attempts).toMatchObject([{ outcome: 'ok', inputTokens: 1, outputTokens: tokens(fake.text).length }])

    fake.fault = { status: 401 }
    // A profile's endpoint is the profile's: its 401 is the profile's key to fix, here a missing one. (A job's own baseUrl gets none: its 401 is the job's, test/resilience/auth.test.ts.)
    await engine.call('saveProvider', { name: 'gateway', provider: 'openai', baseUrl: fake.url })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'hi', provider: 'gateway', model: 'gpt-test', attempts: 3 }] })
    await waitFor(
      () => engine!.call('getJob', { id: 2 }),
      (job) => job.attempts.length === 1 && job.state === 'queued',
      { what: 'the refused attempt to be recorded and the job back in the queue' },
    )
    const held = await engine.call('getJob', { id: 2 })
    // The key's fault, not the job's: the attempt is given back and the provider waits for the operator.
    expect(held.attemptsMade).toBe(0)
    expect(held.attempts.map((a) => a.errorCategory)).toEqual(['AUTH'])
    expect(held.lastError).toContain('no key was sent: profile "gateway" has none (give it a key file)')
    expect(held.lastError).not.toContain(KEY.slice(8))
    expect(held.held).toMatch(/held: provider gateway is paused \(its API key was refused/)
    expect((await engine.call('listProviderPauses', {})).pauses.map((p) => p.provider)).toEqual(['gateway'])
  })
})

describe('openai rate-limit headers', () => {
  it('reports what the quota server says remains, on its 200s and on its 429', async () => {
    const quota = await startFakeQuotaOpenAI({ requestsPerWindow: 2, tokensPerWindow: 1000, windowMs: 60_000 })
    try {
      const readings: QuotaReading[] = []
      const call = () =>
        openai.generate(
          { prompt: 'hello', attempt: 1, model: 'gpt-test', config: { maxTokens: 10 }, endpoint: { profile: 'gateway', baseUrl: quota.url } },
          { signal: new AbortController().signal, onProgress: () => {}, onQuota: (reading) => readings.push(reading) },
        )
      await call()
      await call()
      expect((await attemptFailure(call())).category).toBe('RATE_LIMIT')
      // "hello" is 2 tokens by the server's estimate, plus max_tokens 10.
      expect(readings.map((r) => [r.requests!.remaining, r.tokens!.remaining])).toEqual([
        [1, 988],
        [0, 976],
        [0, 976],
      ])
      for (const r of readings) {
        expect(r.requests!.limit).toBe(2)
        expect(r.tokens!.limit).toBe(1000)
        // The window's end, read as a duration from when the headers came: within the minute, never before the headers.
        expect(r.requests!.resetAt).toBeGreaterThan(r.at)
        expect(r.requests!.resetAt).toBeLessThanOrEqual(r.at + 60_000)
      }
    } finally {
      await quota.close()
    }
  })

  it('reports nothing from a server that sends no such headers', async () => {
    const readings: QuotaReading[] = []
    await openai.generate(
      { prompt: 'hello', attempt: 1, model: 'gpt-test', config: {}, endpoint: { profile: 'gateway', baseUrl: fake.url } },
      { signal: new AbortController().signal, onProgress: () => {}, onQuota: (reading) => readings.push(reading) },
    )
    expect(readings).toEqual([])
  })
})
