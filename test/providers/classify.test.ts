/**
 * The one classification: SDK errors (built by the SDKs' own factories, as they build
 * them from a response), Node and undici errors, our own AttemptErrors, and what an
 * operator reads: status, the provider's words, no keys.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as AnthropicErrors from '@anthropic-ai/sdk/core/error'
import * as OpenAIErrors from 'openai/core/error'
import { afterEach, describe, expect, it } from 'vitest'
import { AttemptError } from '../../src/shared/errors'
import { classify, redactSecrets, retryAfterMs } from '../../src/workers/classify'

const notAborted = { aborted: false }
const openaiError = (status: number, error: unknown, headers: Record<string, string> = {}) =>
  OpenAIErrors.APIError.generate(status, { error }, undefined, new Headers(headers))
const anthropicError = (status: number, type: string, message: string, headers: Record<string, string> = {}) =>
  AnthropicErrors.APIError.generate(status, { type: 'error', error: { type, message } }, undefined, new Headers(headers))
const withCode = (message: string, code: string) => Object.assign(new Error(message), { code })

function expectCategory(error: AttemptError, category: string, retryable: boolean) {
  expect({ category: error.category, retryable: error.retryable }).toEqual({ category, retryable })
}

describe('classify: HTTP statuses from the SDKs', () => {
  it.each([
    [401, { message: 'Incorrect API key provided', code: 'invalid_api_key' }, 'AUTH', false],
    [403, { message: 'Project does not have access' }, 'AUTH', false],
    [408, { message: 'Request timed out' }, 'TIMEOUT', true],
    [400, { message: "Invalid value for 'temperature'", code: null }, 'VALIDATION', false],
    [404, { message: 'The model `gpt-9` does not exist or you do not have access to it.', code: 'model_not_found' }, 'MODEL', false],
    [404, { message: 'Not Found' }, 'VALIDATION', false],
    [422, { message: 'Unprocessable' }, 'VALIDATION', false],
    [400, { message: 'model "llama9" not found, try pulling it first' }, 'MODEL', false],
    [500, { message: 'The server had an error' }, 'PROVIDER', true],
    [502, { message: 'Bad gateway' }, 'PROVIDER', true],
    [503, { message: 'The engine is currently overloaded' }, 'SERVICE_UNAVAILABLE', true],
    [504, { message: 'Gateway timeout' }, 'TIMEOUT', true],
    [429, { message: 'Rate limit reached', code: 'rate_limit_exceeded' }, 'RATE_LIMIT', true],
    [429, { message: 'You exceeded your current quota', code: 'insufficient_quota' }, 'RATE_LIMIT', false],
  ])('OpenAI %i %j → %s (retryable %s)', (status, body, category, retryable) => {
    const failure = classify(openaiError(status, body), notAborted)
    expectCategory(failure, category, retryable)
    expect(failure.message).toContain(`HTTP ${status}`)
    expect(failure.message).toContain(body.message)
  })

  it.each([
    [529, 'overloaded_error', 'Overloaded', 'SERVICE_UNAVAILABLE', true],
    [404, 'not_found_error', 'model: claude-missing', 'MODEL', false],
    [401, 'authentication_error', 'invalid x-api-key', 'AUTH', false],
    [402, 'billing_error', 'Your credit balance is too low', 'AUTH', false],
    [413, 'request_too_large', 'Request exceeds the maximum size', 'VALIDATION', false],
    [500, 'api_error', 'Internal server error', 'PROVIDER', true],
  ])('Anthropic %i %s → %s', (status, type, message, category, retryable) => {
    const failure = classify(anthropicError(status, type, message), notAborted)
    expectCategory(failure, category, retryable)
    expect(failure.message).toMatch(new RegExp(`^HTTP ${status} [a-z ]+: `))
    expect(failure.message).toContain(message)
  })

  it('takes Retry-After in seconds, as an HTTP date, or retry-after-ms, which wins', () => {
    const now = Date.parse('2030-01-01T00:00:00Z')
    expect(classify(openaiError(429, { message: 'slow down' }, { 'retry-after': '7' }), notAborted).retryAfterMs).toBe(7000)
    expect(classify(openaiError(429, { message: 'slow down' }, { 'retry-after': '7', 'retry-after-ms': '1500' }), notAborted).retryAfterMs).toBe(1500)
    const dated = classify(anthropicError(529, 'overloaded_error', 'Overloaded', { 'retry-after': new Date(now + 30_000).toUTCString() }), {
      aborted: false,
      now,
    })
    expect(dated.retryAfterMs).toBe(30_000)
    expect(dated.message).toContain('retry after 30 s')
    expect(classify(openaiError(503, { message: 'busy' }), notAborted).retryAfterMs).toBeUndefined()
  })

  it('says where the key comes from after an AUTH failure', () => {
    const failure = classify(openaiError(401, { message: 'Incorrect API key provided' }), { aborted: false, authHint: 'check OPENAI_API_KEY' })
    expect(failure.message).toMatch(/^HTTP 401 not authenticated: Incorrect API key provided; check OPENAI_API_KEY$/)
  })

  it('reads error events inside a stream by their type, having no status', () => {
    const overloaded = new AnthropicErrors.APIError(
      undefined,
      { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      undefined,
      new Headers(),
      'overloaded_error',
    )
    expectCategory(classify(overloaded, notAborted), 'SERVICE_UNAVAILABLE', true)
    const openaiMidStream = new OpenAIErrors.APIError(undefined, { message: 'The server had an error', type: 'server_error' }, undefined, new Headers())
    const failure = classify(openaiMidStream, notAborted)
    expectCategory(failure, 'PROVIDER', true)
    expect(failure.message).toContain('mid-stream')
  })
})

describe('classify: connections, Node and undici', () => {
  it.each([
    [new OpenAIErrors.APIConnectionTimeoutError(), 'TIMEOUT', true],
    [new AnthropicErrors.APIConnectionTimeoutError(), 'TIMEOUT', true],
    [new OpenAIErrors.APIConnectionError({ cause: withCode('read ECONNRESET', 'ECONNRESET') }), 'NETWORK', true],
    [new AnthropicErrors.APIConnectionError({ message: 'Connection error.' }), 'NETWORK', true],
    [new OpenAIErrors.APIUserAbortError(), 'CANCELLED', false],
    [new AnthropicErrors.APIUserAbortError(), 'CANCELLED', false],
    [withCode('connect ECONNREFUSED 127.0.0.1:11434', 'ECONNREFUSED'), 'NETWORK', true],
    [withCode('getaddrinfo ENOTFOUND api.example.invalid', 'ENOTFOUND'), 'NETWORK', true],
    [withCode('write EPIPE', 'EPIPE'), 'NETWORK', true],
    [withCode('connect ETIMEDOUT 10.0.0.1:443', 'ETIMEDOUT'), 'TIMEOUT', true],
    [new TypeError('terminated', { cause: withCode('other side closed', 'UND_ERR_SOCKET') }), 'NETWORK', true],
    [new TypeError('fetch failed', { cause: withCode('Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT') }), 'TIMEOUT', true],
    [new TypeError('fetch failed', { cause: withCode('certificate has expired', 'CERT_HAS_EXPIRED') }), 'NETWORK', false],
    [new TypeError('terminated'), 'NETWORK', true],
    [new DOMException('This operation was aborted', 'AbortError'), 'CANCELLED', false],
    [new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'TIMEOUT', true],
    [new SyntaxError('Unexpected token } in JSON at position 12'), 'PROVIDER', true],
    [new Error('something nobody foresaw'), 'UNKNOWN', true],
    ['a thrown string', 'UNKNOWN', true],
  ])('%s → %s', (error, category, retryable) => {
    expectCategory(classify(error, notAborted), category, retryable)
  })

  it('finds the socket error behind the SDK wrapper and says it', () => {
    const wrapped = new OpenAIErrors.APIConnectionError({
      cause: new TypeError('fetch failed', { cause: withCode('connect ECONNREFUSED 127.0.0.1:11434', 'ECONNREFUSED') }),
    })
    expect(classify(wrapped, notAborted).message).toBe('Connection error: fetch failed: connect ECONNREFUSED 127.0.0.1:11434 (ECONNREFUSED)')
  })

  it('classifies a real refused connection from fetch', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise((resolve) => server.close(resolve))
    const error = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)
    const failure = classify(error, notAborted)
    expectCategory(failure, 'NETWORK', true)
    expect(failure.message).toContain('ECONNREFUSED')
  })
})

describe('classify: our own', () => {
  it('passes an AttemptError through untouched', () => {
    const ours = new AttemptError('VALIDATION', 'output is not JSON')
    expect(classify(ours, notAborted)).toBe(ours)
  })

  it('is CANCELLED whatever the error when our signal aborted, or the abort’s own reason', () => {
    expectCategory(classify(openaiError(500, { message: 'boom' }), { aborted: true }), 'CANCELLED', false)
    expectCategory(classify(new TypeError('terminated'), { aborted: true, reason: new DOMException('aborted', 'AbortError') }), 'CANCELLED', false)
    const timeout = new AttemptError('TIMEOUT', 'no first token within 500 ms')
    expect(classify(new OpenAIErrors.APIUserAbortError(), { aborted: true, reason: timeout })).toBe(timeout)
  })
})

describe('messages an operator can read and a bug report can carry', () => {
  const saved = process.env.GENOPS_TEST_API_KEY
  afterEach(() => {
    if (saved === undefined) delete process.env.GENOPS_TEST_API_KEY
    else process.env.GENOPS_TEST_API_KEY = saved
  })

  it('never includes API keys, tokens or Authorization values', () => {
    process.env.GENOPS_TEST_API_KEY = 'plain-looking-secret-42'
    const leaky = [
      'Incorrect API key provided: sk-proj-abcdefghijklmnop1234.',
      'key sk-ant-api03-ZZZZZZZZZZZZZZZZ rejected',
      'masked sk-test-****cdef echoed',
      'sent Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig',
      'headers {"x-api-key":"abc123secretvalue"}',
      'url https://host/v1?key=AIzaSyDsecret&x=1',
      'the proxy said plain-looking-secret-42 is wrong',
    ].join(' | ')
    const message = classify(openaiError(401, { message: leaky }), notAborted).message
    for (const secret of [
      'abcdefghijklmnop1234',
      'api03-ZZZZ',
      '****cdef',
      'eyJhbGciOiJIUzI1NiJ9',
      'abc123secretvalue',
      'AIzaSyDsecret',
      'plain-looking-secret-42',
    ]) {
      expect(message).not.toContain(secret)
    }
    expect(message).toContain('[REDACTED]')
    expect(redactSecrets('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: [REDACTED]')
  })

  it('truncates a long body (an HTML error page from a proxy) and flattens its whitespace', () => {
    const page = `<html>\n<body>\n${'<p>502 Bad Gateway</p>\n'.repeat(200)}</body></html>`
    const failure = classify(OpenAIErrors.APIError.generate(502, undefined, page, new Headers()), notAborted)
    expect(failure.category).toBe('PROVIDER')
    expect(failure.message.length).toBeLessThanOrEqual(500)
    expect(failure.message).not.toContain('\n')
    expect(failure.message.startsWith('HTTP 502 provider error: <html> <body>')).toBe(true)
  })
})

describe('retryAfterMs', () => {
  const headers = (value: Record<string, string>) => new Headers(value)
  it('reads decimals, refuses nonsense, clamps the past to 0 and the absurd to an hour', () => {
    const now = Date.parse('2030-01-01T00:00:00Z')
    expect(retryAfterMs(headers({ 'retry-after': '1.5' }), now)).toBe(1500)
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined()
    expect(retryAfterMs(headers({ 'retry-after': new Date(now - 60_000).toUTCString() }), now)).toBe(0)
    expect(retryAfterMs(headers({ 'retry-after': '86400' }), now)).toBe(3600_000)
    expect(retryAfterMs(undefined, now)).toBeUndefined()
  })
})
