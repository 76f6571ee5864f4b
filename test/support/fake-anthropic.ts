/**
 * A fake Anthropic Messages API: POST /v1/messages streamed as SSE with Anthropic's event
 * types (message_start, content_block_start, ping, content_block_delta, content_block_stop,
 * message_delta, message_stop), with faults a test switches on: an error status (429 with
 * Retry-After, 500, 503, 529 overloaded, 401), a slow first byte, a disconnect or malformed
 * JSON mid-stream, an `error` event mid-stream. A system block marked with cache_control is
 * kept in a prompt cache of the fake's own: the first request that sends it reports its
 * tokens as cache_creation_input_tokens, the next ones as cache_read_input_tokens, and
 * input_tokens leaves them out, as Anthropic's usage does.
 */
import { sendError, startFakeServer, tokens, type Exchange, type FakeServer } from './fake-server'

export type AnthropicFault =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { slowFirstByteMs: number }
  | { disconnectAfterChunks: number }
  | { malformedAfterChunks: number }
  | { streamErrorAfterChunks: number; errorType?: string }

export interface FakeAnthropic extends FakeServer {
  /** The base URL a job puts in config.baseUrl (the SDK adds /v1/messages). */
  url: string
  text: string
  chunkDelayMs: number
  /** Applies to every request until set back to null. */
  fault: AnthropicFault | null
  /** Extra headers on every successful response (anthropic-ratelimit-*, say). */
  headers: Record<string, string>
  /** The system texts sent with cache_control so far: what a later request reads from the cache. */
  promptCache: Set<string>
}

type SystemBlock = { type: string; text: string; cache_control?: { type: string } }

/** The usage of a request's input: plain, written to the prompt cache, read from it. */
function inputUsage(fake: FakeAnthropic, body: Record<string, unknown>) {
  const messages = body.messages as { content: string }[]
  let input = messages.reduce((sum, message) => sum + tokens(message.content).length, 0)
  let written = 0
  let read = 0
  const blocks: SystemBlock[] = typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : ((body.system as SystemBlock[] | undefined) ?? [])
  for (const block of blocks) {
    const count = tokens(block.text).length
    if (block.cache_control === undefined) input += count
    else if (fake.promptCache.has(block.text)) read += count
    else {
      fake.promptCache.add(block.text)
      written += count
    }
  }
  return { input_tokens: input, cache_creation_input_tokens: written, cache_read_input_tokens: read }
}

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'max_tokens: Field required'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'model: claude-missing'],
  429: ['rate_limit_error', 'This request would exceed the rate limit for your organization of 50 requests per minute.'],
  500: ['api_error', 'Internal server error'],
  503: ['api_error', 'Service unavailable'],
  529: ['overloaded_error', 'Overloaded'],
}

function errorBody(status: number): unknown {
  const [type, message] = ERROR_TYPES[status] ?? ['api_error', `fake error ${status}`]
  return { type: 'error', error: { type, message }, request_id: 'req_fake' }
}

export async function startFakeAnthropic(options: Partial<Pick<FakeAnthropic, 'text' | 'chunkDelayMs' | 'fault' | 'headers'>> = {}): Promise<FakeAnthropic> {
  const fake: FakeAnthropic = Object.assign(await startFakeServer((exchange) => answer(fake, exchange)), {
    url: '',
    text: 'Hello from the fake Anthropic server.',
    chunkDelayMs: 0,
    fault: null,
    headers: {},
    promptCache: new Set<string>(),
    ...options,
  })
  fake.url = fake.origin
  return fake
}

async function answer(fake: FakeAnthropic, { req, res, record, pause, write, disconnect }: Exchange): Promise<void> {
  if (req.method !== 'POST' || record.path !== '/v1/messages') return sendError(res, 404, errorBody(404))
  const fault = fake.fault
  if (fault && 'status' in fault) return sendError(res, fault.status, fault.body ?? errorBody(fault.status), { 'request-id': 'req_fake', ...fault.headers })
  if (fault && 'slowFirstByteMs' in fault && !(await pause(fault.slowFirstByteMs))) return

  const event = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
  const pieces = tokens(fake.text)
  const input = inputUsage(fake, record.body)

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_fake${fake.requests.length}`, ...fake.headers })
  write(
    event('message_start', {
      message: {
        id: `msg_fake${fake.requests.length}`,
        type: 'message',
        role: 'assistant',
        content: [],
        model: record.body.model,
        stop_reason: null,
        stop_sequence: null,
        usage: { ...input, output_tokens: 1 },
      },
    }),
  )
  write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }))
  write(event('ping', {}))
  for (let i = 0; i < pieces.length; i++) {
    if (fault && 'disconnectAfterChunks' in fault && i === fault.disconnectAfterChunks) return await disconnect()
    if (fault && 'malformedAfterChunks' in fault && i === fault.malformedAfterChunks) {
      write('event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n')
      return void res.end()
    }
    if (fault && 'streamErrorAfterChunks' in fault && i === fault.streamErrorAfterChunks) {
      write(event('error', { error: { type: fault.errorType ?? 'overloaded_error', message: 'Overloaded' } }))
      return void res.end()
    }
    if (i > 0 && fake.chunkDelayMs > 0 && !(await pause(fake.chunkDelayMs))) return
    if (!write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: pieces[i] } }))) return
  }
  write(event('content_block_stop', { index: 0 }))
  write(event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: pieces.length } }))
  write(event('message_stop', {}))
  res.end()
}
