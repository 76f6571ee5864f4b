/**
 * THE classification of a failed attempt: whatever a provider, an SDK, undici or Node
 * threw becomes one AttemptError with a category, the retryable flag the resilience layer
 * acts on, and the provider's Retry-After. Every message that leaves here is fit for an
 * operator's screen and for a bug report: status, the provider's own words, truncated,
 * with API keys and Authorization values removed.
 */
import * as AnthropicErrors from '@anthropic-ai/sdk/core/error'
import * as OpenAIErrors from 'openai/core/error'
import { AttemptError, type ErrorCategory } from '../shared/errors'
import { secretMask } from '../shared/redact'

export interface ClassifyContext {
  /** Our own signal aborted: then the attempt was stopped by us, whatever the error says. */
  aborted: boolean
  /** The abort's reason: an AttemptError here (a TIMEOUT from the attempt's limits) is the outcome. */
  reason?: unknown
  /** Added to an AUTH message, to tell the operator where the key comes from. */
  authHint?: string
  /**
   * The job chose the endpoint (a loopback config.baseUrl), and GenOps sent it no key: a
   * refusal there is the job's settings, VALIDATION, never a provider's key to fix.
   */
  jobChosenEndpoint?: boolean
  /** For a Retry-After given as an HTTP date. */
  now?: number
}

/** Long enough for a provider's explanation, short enough for a table cell and a log line. */
const MAX_MESSAGE = 500
/** A Retry-After beyond this is taken as a misconfigured server, not a plan: the job waits at most this. */
const MAX_RETRY_AFTER_MS = 3600_000

/** Removes API keys, tokens and Authorization values (and the environment's secret values) from text meant for people and logs. */
export function redactSecrets(text: string): string {
  // The environment's keys and every key this thread has read (a profile's key file, the keychain's), masked by value.
  return secretMask(process.env).mask(text)
}

function operatorMessage(text: string): string {
  const flat = redactSecrets(text.replace(/\s+/g, ' ').trim())
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** The error and its causes (undici hides the socket error two levels down), nearest first. */
function chain(error: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  let current = error
  while (isObject(current) && out.length < 6 && !out.includes(current)) {
    out.push(current)
    current = current.cause ?? (Array.isArray(current.errors) ? current.errors[0] : undefined)
  }
  return out
}

function describeChain(error: unknown): string {
  const parts: string[] = []
  for (const link of chain(error)) {
    const message = text(link.message)?.replace(/\.+$/, '')
    if (message && !parts.some((part) => part.includes(message))) parts.push(message)
  }
  return parts.join(': ') || String(error)
}

const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN'])

/** From Node's and undici's error codes anywhere in the chain. A bad certificate will not fix itself: not retryable. */
function byErrorCode(error: unknown): AttemptError | undefined {
  for (const link of chain(error)) {
    const code = text(link.code)
    if (!code) continue
    const message = operatorMessage(`${describeChain(error)} (${code})`)
    if (TIMEOUT_CODES.has(code)) return new AttemptError('TIMEOUT', message)
    if (code.startsWith('ERR_TLS_') || code.includes('CERT')) return new AttemptError('NETWORK', message, { retryable: false })
    if (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_')) return new AttemptError('NETWORK', message)
  }
  return undefined
}

/**
 * Retry-After in ms from `retry-after-ms` (OpenAI's), or `retry-after` in seconds or as
 * an HTTP date. Undefined when absent or unreadable, so backoff decides.
 */
export function retryAfterMs(headers: unknown, now = Date.now()): number | undefined {
  if (!isObject(headers) || typeof headers.get !== 'function') return undefined
  const get = (name: string) => (headers as unknown as Headers).get(name)?.trim()
  const clamp = (ms: number) => (Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms))) : undefined)
  const ms = get('retry-after-ms')
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return clamp(Number(ms))
  const after = get('retry-after')
  if (!after) return undefined
  if (/^\d+(\.\d+)?$/.test(after)) return clamp(Number(after) * 1000)
  const date = Date.parse(after)
  return Number.isNaN(date) ? undefined : clamp(date - now)
}

type SdkApiError = OpenAIErrors.APIError | AnthropicErrors.APIError

const isApiError = (error: unknown): error is SdkApiError => error instanceof OpenAIErrors.APIError || error instanceof AnthropicErrors.APIError
const isUserAbort = (error: unknown) => error instanceof OpenAIErrors.APIUserAbortError || error instanceof AnthropicErrors.APIUserAbortError
const isConnectionTimeout = (error: unknown) =>
  error instanceof OpenAIErrors.APIConnectionTimeoutError || error instanceof AnthropicErrors.APIConnectionTimeoutError
const isConnectionError = (error: unknown) => error instanceof OpenAIErrors.APIConnectionError || error instanceof AnthropicErrors.APIConnectionError

/** The provider's own explanation: `{error: {message}}` (OpenAI, Anthropic), `{error: "..."}` (Ollama), else the SDK's text. */
function providerWords(error: SdkApiError): string {
  const fromBody = (body: unknown, depth = 0): string | undefined => {
    if (typeof body === 'string') return text(body)
    if (!isObject(body) || depth > 2) return undefined
    return text(body.message) ?? fromBody(body.error, depth + 1)
  }
  const words = fromBody(error.error) ?? error.message
  // The SDKs prefix the status; we say it ourselves.
  return words.replace(/^\d{3}\s+/, '')
}

/** `code` (OpenAI), `type` (both) and `errorCode` (Anthropic) of the provider's error body, lower-cased for matching. */
function providerCodes(error: SdkApiError): string {
  const fields = error as unknown as Record<string, unknown>
  return [fields.code, fields.type, fields.errorCode]
    .filter((value) => typeof value === 'string')
    .join(' ')
    .toLowerCase()
}

/** How OpenAI, vLLM, Ollama and LM Studio say a model is not there ("The model `x` does not exist", 'model "x" not found'). */
const MODEL_NOT_THERE = /\bmodel\W+(?:\S+\W+){0,3}?(?:not found|does not exist|is not available)|\b(?:unknown|invalid|unsupported|no such) model\b|try pulling/i

/** Error types some providers send inside a stream, where there is no HTTP status. */
const TYPE_CATEGORIES: [RegExp, ErrorCategory][] = [
  [/overloaded|unavailable/, 'SERVICE_UNAVAILABLE'],
  [/rate_limit|too_many/, 'RATE_LIMIT'],
  [/authentication|permission|billing|invalid_api_key/, 'AUTH'],
  [/timeout/, 'TIMEOUT'],
  [/not_found/, 'MODEL'],
  [/invalid_request/, 'VALIDATION'],
]

function byStatus(error: SdkApiError, context: ClassifyContext): AttemptError {
  const status = error.status
  const words = providerWords(error)
  const codes = providerCodes(error)
  const wait = retryAfterMs(error.headers, context.now)
  const waitNote = wait === undefined ? '' : ` (retry after ${Math.ceil(wait / 1000)} s)`
  const make = (category: ErrorCategory, label: string, options: { retryable?: boolean; hint?: string } = {}) =>
    new AttemptError(category, operatorMessage(`HTTP ${status} ${label}: ${words}${waitNote}${options.hint ? `; ${options.hint}` : ''}`), {
      retryable: options.retryable,
      retryAfterMs: wait,
    })
  const modelProblem = MODEL_NOT_THERE.test(words)

  if (status === undefined) {
    // An error event inside a stream: the body's type is all there is to go on.
    const match = TYPE_CATEGORIES.find(([pattern]) => pattern.test(codes))
    const category = match?.[1] ?? 'PROVIDER'
    return new AttemptError(category, operatorMessage(`the provider reported an error mid-stream${codes ? ` (${codes})` : ''}: ${words}`), {
      retryAfterMs: wait,
    })
  }
  if ((status === 401 || status === 402 || status === 403) && context.jobChosenEndpoint) {
    return make('VALIDATION', 'refused', {
      retryable: false,
      hint: "the server named by the job's config.baseUrl wants credentials, and GenOps sends none to a server a job names: make a profile for it with a key file",
    })
  }
  if (status === 401 || status === 403) return make('AUTH', status === 401 ? 'not authenticated' : 'forbidden', { hint: context.authHint })
  if (status === 402) return make('AUTH', 'payment required', { hint: 'check the account’s billing' })
  if (status === 429) {
    // OpenAI answers 429 for a spent quota too: waiting does not refill it.
    if (/insufficient_quota|billing/.test(codes)) return make('RATE_LIMIT', 'quota exhausted', { retryable: false })
    return make('RATE_LIMIT', 'rate limited')
  }
  if (status === 408) return make('TIMEOUT', 'request timeout')
  if (status === 504) return make('TIMEOUT', 'gateway timeout')
  if (status === 503 || status === 529) return make('SERVICE_UNAVAILABLE', status === 529 ? 'overloaded' : 'service unavailable')
  if (status >= 500) return make('PROVIDER', 'provider error')
  if (
    /model_not_found/.test(codes) ||
    ((status === 404 || status === 400 || status === 422) && modelProblem) ||
    (status === 404 && /not_found/.test(codes) && /\bmodel\b/i.test(words))
  ) {
    return make('MODEL', 'unknown model')
  }
  if (status === 404) return make('VALIDATION', 'not found', { hint: 'check config.baseUrl (OpenAI-compatible servers usually end in /v1)' })
  if (status === 409) return make('PROVIDER', 'conflict', { retryable: true })
  if (status === 413) return make('VALIDATION', 'request too large')
  return make('VALIDATION', 'request refused')
}

/** Sorts any error from an attempt into its category. An AttemptError passes through. */
export function classify(error: unknown, context: ClassifyContext): AttemptError {
  if (context.aborted) {
    return context.reason instanceof AttemptError ? context.reason : new AttemptError('CANCELLED', 'the attempt was cancelled')
  }
  if (error instanceof AttemptError) return error
  if (isUserAbort(error)) return new AttemptError('CANCELLED', 'the attempt was cancelled')
  if (isConnectionTimeout(error)) return new AttemptError('TIMEOUT', operatorMessage(`the provider did not answer in time: ${describeChain(error)}`))
  if (isConnectionError(error)) {
    return byErrorCode(error) ?? new AttemptError('NETWORK', operatorMessage(`could not reach the provider: ${describeChain(error)}`))
  }
  if (isApiError(error)) return byStatus(error, context)
  if (isObject(error) && error.name === 'AbortError') return new AttemptError('CANCELLED', 'the attempt was cancelled')
  if (isObject(error) && error.name === 'TimeoutError') return new AttemptError('TIMEOUT', operatorMessage(describeChain(error)))
  if (error instanceof SyntaxError) return new AttemptError('PROVIDER', operatorMessage(`the provider sent a malformed response: ${error.message}`))
  const byCode = byErrorCode(error)
  if (byCode) return byCode
  // undici ends a body cut off by the server with a bare TypeError('terminated').
  if (error instanceof TypeError && /^(terminated|fetch failed)$/.test(error.message)) {
    return new AttemptError('NETWORK', operatorMessage(`the connection to the provider broke: ${describeChain(error)}`))
  }
  return new AttemptError('UNKNOWN', operatorMessage(describeChain(error)))
}
