/**
 * A fake OpenAI-compatible provider that enforces a quota, as a hosted one does: a budget
 * of requests and of tokens per fixed window (60 s by default; a test or the bench
 * compresses a minute into seconds), charged when a request arrives (prompt characters / 4
 * plus max_tokens, 16 when absent, the way OpenAI estimates before it generates). Every
 * response, a 200's too, carries `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`;
 * a request over budget gets 429 with Retry-After and retry-after-ms. Optional faults: a
 * share of random 500/503 (after the limiter: they count), a share of slow first bytes,
 * and an outage switch (every request 503, before the limiter: it counts nothing).
 * Used by the tests (test/resilience/provider-quota.test.ts) and bench/real-world.ts.
 */
import { sendError, startFakeServer, tokens, type Exchange, type FakeServer } from './fake-server'

export interface QuotaServerOptions {
  /** Requests admitted per window. */
  requestsPerWindow: number
  /** Tokens admitted per window. */
  tokensPerWindow: number
  /** Length of a window. Default 60 s. */
  windowMs?: number
  /** What the model answers, streamed a word a chunk. */
  text?: string
  /** Delay between streamed chunks. Default 0. */
  chunkDelayMs?: number
  /** Share of admitted requests answered 500 or 503 (half each). Default 0. */
  errorRate?: number
  /** Share of admitted requests whose first byte waits `slowMs`. Default 0. */
  slowRate?: number
  slowMs?: number
  /** Seed of the fault draws: the same seed gives the same faults in the same order. Default 1. */
  seed?: number
}

/** What one window admitted. */
export interface WindowUsage {
  start: number
  requests: number
  tokens: number
}

export interface QuotaServerStats {
  received: number
  ok: number
  rateLimited: number
  /** Random 500/503 answers. */
  errors: number
  /** 503s while the outage switch was on. */
  outage: number
}

export interface FakeQuotaOpenAI extends FakeServer {
  /** The base URL a job or profile puts in baseUrl: http://127.0.0.1:PORT/v1. */
  url: string
  readonly options: Required<QuotaServerOptions>
  /** While true every request is answered 503 before the limiter sees it. */
  outage: boolean
  readonly stats: QuotaServerStats
  /** Windows that admitted anything, oldest first. */
  usage(): WindowUsage[]
}

const DEFAULTS = { windowMs: 60_000, text: 'Within the quota.', chunkDelayMs: 0, errorRate: 0, slowRate: 0, slowMs: 0, seed: 1 }
/** What a request without max_tokens is charged for its answer. */
const DEFAULT_MAX_TOKENS = 16

/** OpenAI's reset format, a Go duration: `20ms`, `1.5s`, `6m0s`. Rounded up, so a client never thinks a window ended early. */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms))
  if (whole < 1000) return `${whole}ms`
  const minutes = Math.floor(whole / 60_000)
  const seconds = (whole % 60_000) / 1000
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`
}

/** mulberry32: seeded, so a run's faults can be repeated. */
function generator(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export async function startFakeQuotaOpenAI(options: QuotaServerOptions): Promise<FakeQuotaOpenAI> {
  const settings: Required<QuotaServerOptions> = { ...DEFAULTS, ...options }
  if (!(settings.requestsPerWindow > 0 && settings.tokensPerWindow > 0 && settings.windowMs > 0))
    throw new Error('the quota server needs positive budgets and window')
  const epoch = Date.now()
  const windows = new Map<number, WindowUsage>()
  const random = generator(settings.seed)
  const stats: QuotaServerStats = { received: 0, ok: 0, rateLimited: 0, errors: 0, outage: 0 }

  const windowAt = (now: number): WindowUsage => {
    const index = Math.floor((now - epoch) / settings.windowMs)
    let window = windows.get(index)
    if (!window) windows.set(index, (window = { start: epoch + index * settings.windowMs, requests: 0, tokens: 0 }))
    return window
  }
  const limitHeaders = (window: WindowUsage, now: number): Record<string, string> => {
    const reset = goDuration(window.start + settings.windowMs - now)
    return {
      'x-ratelimit-limit-requests': String(settings.requestsPerWindow),
      'x-ratelimit-remaining-requests': String(Math.max(0, settings.requestsPerWindow - window.requests)),
      'x-ratelimit-reset-requests': reset,
      'x-ratelimit-limit-tokens': String(settings.tokensPerWindow),
      'x-ratelimit-remaining-tokens': String(Math.max(0, settings.tokensPerWindow - window.tokens)),
      'x-ratelimit-reset-tokens': reset,
    }
  }

  const answer = async ({ req, res, record, pause, write }: Exchange): Promise<void> => {
    if (req.method !== 'POST' || record.path !== '/v1/chat/completions')
      return sendError(res, 404, { error: { message: `no route ${req.method} ${record.path}` } })
    stats.received++
    if (fake.outage) {
      stats.outage++
      return sendError(res, 503, { error: { message: 'The engine is currently overloaded, please try again later', type: 'server_error', code: null } })
    }
    const now = Date.now()
    const window = windowAt(now)
    const messages = (record.body.messages as { content: string }[] | undefined) ?? []
    const chars = messages.reduce((sum, message) => sum + String(message.content).length, 0)
    const maxTokens = typeof record.body.max_tokens === 'number' ? record.body.max_tokens : DEFAULT_MAX_TOKENS
    const cost = Math.ceil(chars / 4) + maxTokens
    const overRequests = window.requests + 1 > settings.requestsPerWindow
    if (overRequests || window.tokens + cost > settings.tokensPerWindow) {
      stats.rateLimited++
      const waitMs = Math.max(1, Math.ceil(window.start + settings.windowMs - now))
      const kind = overRequests ? 'requests per min (RPM)' : 'tokens per min (TPM)'
      return sendError(
        res,
        429,
        { error: { message: `Rate limit reached for gpt-test on ${kind}.`, type: overRequests ? 'requests' : 'tokens', code: 'rate_limit_exceeded' } },
        { ...limitHeaders(window, now), 'retry-after': String(Math.ceil(waitMs / 1000)), 'retry-after-ms': String(waitMs) },
      )
    }
    window.requests++
    window.tokens += cost
    const headers = limitHeaders(window, now)
    if (settings.errorRate > 0 && random() < settings.errorRate) {
      stats.errors++
      const status = random() < 0.5 ? 500 : 503
      return sendError(res, status, { error: { message: 'The server had an error while processing your request.', type: 'server_error', code: null } }, headers)
    }
    if (settings.slowRate > 0 && random() < settings.slowRate && !(await pause(settings.slowMs))) return

    const model = String(record.body.model)
    const id = `chatcmpl-quota${stats.received}`
    const created = Math.floor(now / 1000)
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`
    const pieces = tokens(settings.text)
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${id}`, ...headers })
    write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]))
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && settings.chunkDelayMs > 0 && !(await pause(settings.chunkDelayMs))) return
      if (!write(chunk([{ index: 0, delta: { content: pieces[i] }, finish_reason: null }]))) return
    }
    write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]))
    const promptTokens = Math.ceil(chars / 4)
    write(chunk([], { usage: { prompt_tokens: promptTokens, completion_tokens: pieces.length, total_tokens: promptTokens + pieces.length } }))
    write('data: [DONE]\n\n')
    res.end()
    stats.ok++
  }

  const fake: FakeQuotaOpenAI = Object.assign(await startFakeServer(answer, { keepAliveTimeoutMs: 65_000 }), {
    url: '',
    options: settings,
    outage: false,
    stats,
    usage: () => [...windows.values()].sort((a, b) => a.start - b.start),
  })
  fake.url = `${fake.origin}/v1`
  return fake
}
