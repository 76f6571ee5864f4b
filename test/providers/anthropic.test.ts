/**
 * The anthropic provider against a real HTTP server on loopback speaking the Messages
 * API's streaming events, through the official SDK: text, usage from message_start and
 * message_delta, every fault in its category, and a cancel the server sees.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configProblem, type AnthropicConfig } from '../../src/shared/job-config'
import type { QuotaReading } from '../../src/shared/ratelimit-headers'
import type { ProfileEndpoint } from '../../src/workers/protocol'
import { ANTHROPIC_DEFAULT_MAX_TOKENS, anthropic } from '../../src/workers/providers/anthropic'
import { startFakeAnthropic, type AnthropicFault, type FakeAnthropic } from '../support/fake-anthropic'
import { tokens } from '../support/fake-server'
import { attemptFailure, expectCancelMidStream, generateWith, withEnv } from '../support/providers'
import { waitFor } from '../support/wait'

const KEY = 'sk-ant-test-0123456789abcdef'
withEnv('ANTHROPIC_API_KEY', KEY)
let fake: FakeAnthropic

beforeEach(async () => {
  fake = await startFakeAnthropic()
})
afterEach(async () => {
  await fake.close()
})

/** As a job for a profile whose endpoint is the fake server, with its key; `endpoint: null` for a job of no profile. */
function generate(
  config: AnthropicConfig = {},
  { model = 'claude-test' as string | null, signal = new AbortController().signal, endpoint = { profile: 'gateway', baseUrl: fake.url, apiKey: KEY } as ProfileEndpoint | null } = {},
) {
  return generateWith(anthropic, 'Say hello to the operator', model, config, signal, endpoint ?? undefined)
}

describe('anthropic provider', () => {
  it('streams the answer with usage from message_start and message_delta, sending the job’s parameters', async () => {
    const { result, progress } = generate({ system: 'Be brief.', maxTokens: 300, stop: 'END', temperature: 0.5, seed: 3 })
    const generation = await result
    const chunks = tokens(fake.text).length
    expect(generation).toEqual({ text: fake.text, inputTokens: tokens('Be brief.').length + tokens('Say hello to the operator').length, outputTokens: chunks })
    expect(progress.map(([n]) => n)).toEqual([...Array.from({ length: chunks }, (_, i) => i + 1), chunks])
    expect(progress.at(-1)).toEqual([chunks, 1])

    const [request] = fake.requests
    expect(request!.path).toBe('/v1/messages')
    // The SDK sends the key as x-api-key or, since API version 2026-10-21, as a bearer token.
    expect(`${request!.headers['x-api-key'] ?? ''} ${request!.headers.authorization ?? ''}`).toContain(KEY)
    expect(request!.headers['anthropic-version']).toBeTruthy()
    expect(request!.body).toEqual({
      model: 'claude-test',
      max_tokens: 300,
      messages: [{ role: 'user', content: 'Say hello to the operator' }],
      system: 'Be brief.',
      stop_sequences: ['END'],
      stream: true,
    })
  })

  it('asks for the default max_tokens when the job sets none, since the API requires one', async () => {
    await generate().result
    expect(fake.requests[0]!.body.max_tokens).toBe(ANTHROPIC_DEFAULT_MAX_TOKENS)
  })

  it('refuses a job it cannot run before sending anything, naming the field', async () => {
    expect((await attemptFailure(generate({}, { model: '  ' }).result)).message).toMatch(/names no model/)
    // The config's own schema names the field (the worker checks it before the provider sees it).
    expect(configProblem('anthropic', { maxTokens: 0 })).toMatch(/^config\.maxTokens: /)
    expect(configProblem('anthropic', { maxTokens: 2_000_000 })).toMatch(/^config\.maxTokens: /)
    expect(configProblem('anthropic', { system: 42 })).toBe('config.system: system must be a string')
    expect(configProblem('anthropic', { baseUrl: 'http://user:pw@127.0.0.1:1' })).toContain('must not carry a user or password')
    const remote = await attemptFailure(generate({ baseUrl: 'https://api.example.invalid' }, { endpoint: null }).result)
    expect({ category: remote.category, retryable: remote.retryable }).toEqual({ category: 'VALIDATION', retryable: false })
    expect(fake.requests).toHaveLength(0)
  })

  it('wants ANTHROPIC_API_KEY for a remote endpoint, and sends no key nor auth token to a server a job chose', async () => {
    delete process.env.ANTHROPIC_API_KEY
    const error = await attemptFailure(generate({}, { endpoint: null }).result)
    expect(error.category).toBe('AUTH')
    expect(error.message).toContain('set ANTHROPIC_API_KEY')
    process.env.ANTHROPIC_API_KEY = KEY
    // The SDK would send this as a bearer token beside any key, wherever the request goes.
    process.env.ANTHROPIC_AUTH_TOKEN = 'sk-ant-auth-token-of-the-operator'
    try {
      await generate({ baseUrl: fake.url }, { endpoint: null }).result
    } finally {
      delete process.env.ANTHROPIC_AUTH_TOKEN
    }
    const sent = `${fake.requests[0]!.headers['x-api-key'] ?? ''} ${fake.requests[0]!.headers.authorization ?? ''}`
    expect(sent).not.toContain('sk-ant')
    expect(sent).toContain('no-key-needed-for-local-server')
  })

  it.each<[string, string, boolean, number | undefined, AnthropicFault]>([
    ['429 with Retry-After', 'RATE_LIMIT', true, 12_000, { status: 429, headers: { 'retry-after': '12' } }],
    ['500', 'PROVIDER', true, undefined, { status: 500 }],
    ['503', 'SERVICE_UNAVAILABLE', true, undefined, { status: 503 }],
    ['529 overloaded with Retry-After', 'SERVICE_UNAVAILABLE', true, 4000, { status: 529, headers: { 'retry-after': '4' } }],
    ['401', 'AUTH', false, undefined, { status: 401 }],
    ['404 unknown model', 'MODEL', false, undefined, { status: 404 }],
    ['400 invalid request', 'VALIDATION', false, undefined, { status: 400 }],
    ['a disconnect mid-stream', 'NETWORK', true, undefined, { disconnectAfterChunks: 2 }],
    ['malformed JSON mid-stream', 'PROVIDER', true, undefined, { malformedAfterChunks: 2 }],
    ['an overloaded error event mid-stream', 'SERVICE_UNAVAILABLE', true, undefined, { streamErrorAfterChunks: 2 }],
  ])('%s → %s (retryable %s, Retry-After %s ms)', async (_name, category, retryable, retryAfterMs, fault) => {
    fake.fault = fault
    const { result, progress } = generate()
    const error = await attemptFailure(result)
    if (!('status' in fault)) expect(progress.length).toBeGreaterThanOrEqual(2)
    expect({ category: error.category, retryable: error.retryable, retryAfterMs: error.retryAfterMs }).toEqual({ category, retryable, retryAfterMs })
    expect(error.message).not.toContain(KEY.slice(8))
    // The SDK's retries are off: one request per attempt, whatever the fault.
    expect(fake.requests).toHaveLength(1)
  })

  it('stops the HTTP call at once when cancelled mid-stream: the server sees the client leave', async () => {
    await expectCancelMidStream(fake, (signal) => generate({}, { signal }))
  })

  it('stops waiting for a slow first byte when cancelled', async () => {
    fake.fault = { slowFirstByteMs: 60_000 }
    const controller = new AbortController()
    const { result } = generate({}, { signal: controller.signal })
    await waitFor(
      () => fake.requests.length,
      (n) => n === 1,
      { what: 'the request to arrive' },
    )
    controller.abort()
    expect((await attemptFailure(result)).category).toBe('CANCELLED')
    await waitFor(
      () => fake.requests[0]!,
      (request) => request.disconnected,
      { what: 'the server to see the disconnect' },
    )
  })
})

describe('anthropic rate-limit headers', () => {
  const limits = (remaining: number) => ({
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': String(remaining),
    'anthropic-ratelimit-requests-reset': '2030-01-01T00:00:30Z',
    'anthropic-ratelimit-tokens-limit': '80000',
    'anthropic-ratelimit-tokens-remaining': '79000',
    'anthropic-ratelimit-tokens-reset': '2030-01-01T00:00:05Z',
  })
  const withQuota = (readings: QuotaReading[]) =>
    anthropic.generate(
      { prompt: 'hello', attempt: 1, model: 'claude-test', config: {}, endpoint: { profile: 'gateway', baseUrl: fake.url } },
      { signal: new AbortController().signal, onProgress: () => {}, onQuota: (reading) => readings.push(reading) },
    )

  it('reports what remains from a streamed answer and from a 429', async () => {
    const readings: QuotaReading[] = []
    fake.headers = limits(49)
    await withQuota(readings)
    fake.fault = { status: 429, headers: { ...limits(0), 'retry-after': '30' } }
    expect((await attemptFailure(withQuota(readings))).category).toBe('RATE_LIMIT')
    expect(readings.map((r) => [r.requests, r.tokens])).toEqual(
      [49, 0].map((remaining) => [
        { limit: 50, remaining, resetAt: Date.parse('2030-01-01T00:00:30Z') },
        { limit: 80_000, remaining: 79_000, resetAt: Date.parse('2030-01-01T00:00:05Z') },
      ]),
    )
    expect(readings.every((r) => r.sentAt <= r.at)).toBe(true)
  })

  it('reports nothing when the answer carries no such headers', async () => {
    const readings: QuotaReading[] = []
    await withQuota(readings)
    expect(readings).toEqual([])
  })
})
