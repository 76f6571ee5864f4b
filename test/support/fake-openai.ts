/**
 * A fake OpenAI-compatible server: POST /v1/chat/completions streamed as SSE
 * (`data: {chunk}` ... a usage chunk ... `data: [DONE]`), like OpenAI, Ollama or vLLM,
 * with faults a test switches on: an error status (429 with Retry-After, 500, 503, 401),
 * a slow first byte, a disconnect or malformed JSON mid-stream, an error event mid-stream.
 */
import { sendError, startFakeServer, tokens, type Exchange, type FakeServer } from './fake-server'

export type OpenAIFault =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { slowFirstByteMs: number }
  | { disconnectAfterChunks: number }
  | { malformedAfterChunks: number }
  | { streamErrorAfterChunks: number }

export interface FakeOpenAI extends FakeServer {
  /** The base URL a job puts in config.baseUrl: http://127.0.0.1:PORT/v1. */
  url: string
  /** What the model answers, streamed a word a chunk. */
  text: string
  chunkDelayMs: number
  /** Send the final usage chunk when the client asks for it (stream_options.include_usage). */
  usage: boolean
  /** Of the prompt's tokens, how many the usage chunk says were read from OpenAI's prompt cache (prompt_tokens_details.cached_tokens). */
  cachedTokens: number
  /** Applies to every request until set back to null. */
  fault: OpenAIFault | null
}

/** Error bodies as OpenAI sends them; the 401 echoes the key masked, as OpenAI does. */
function errorBody(status: number, authorization: string | undefined): unknown {
  const key = authorization?.replace(/^Bearer\s+/i, '') ?? ''
  const masked = `${key.slice(0, 8)}****${key.slice(-4)}`
  const errors: Record<number, { message: string; type: string; code: string | null }> = {
    401: {
      message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      type: 'invalid_request_error',
      code: 'invalid_api_key',
    },
    404: { message: 'The model `gpt-missing` does not exist or you do not have access to it.', type: 'invalid_request_error', code: 'model_not_found' },
    429: { message: 'Rate limit reached for gpt-test on requests per min (RPM): Limit 3, Used 3, Requested 1.', type: 'requests', code: 'rate_limit_exceeded' },
    500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
    503: { message: 'The engine is currently overloaded, please try again later', type: 'server_error', code: null },
  }
  return { error: { param: null, ...(errors[status] ?? { message: `fake error ${status}`, type: 'invalid_request_error', code: null }) } }
}

export async function startFakeOpenAI(
  options: Partial<Pick<FakeOpenAI, 'text' | 'chunkDelayMs' | 'usage' | 'cachedTokens' | 'fault'>> = {},
): Promise<FakeOpenAI> {
  const fake: FakeOpenAI = Object.assign(await startFakeServer((exchange) => answer(fake, exchange)), {
    url: '',
    text: 'Hello from the fake OpenAI server.',
    chunkDelayMs: 0,
    usage: true,
    cachedTokens: 0,
    fault: null,
    ...options,
  })
  fake.url = `${fake.origin}/v1`
  return fake
}

/** One chat completion, streamed; the fake batch server (fake-openai-batches.ts) answers real-time requests with it too. */
export async function answer(fake: FakeOpenAI, { req, res, record, pause, write, disconnect }: Exchange): Promise<void> {
  if (req.method !== 'POST' || record.path !== '/v1/chat/completions')
    return sendError(res, 404, { error: { message: `no route ${req.method} ${record.path}` } })
  const fault = fake.fault
  if (fault && 'status' in fault) return sendError(res, fault.status, fault.body ?? errorBody(fault.status, req.headers.authorization), fault.headers)
  if (fault && 'slowFirstByteMs' in fault && !(await pause(fault.slowFirstByteMs))) return

  const model = String(record.body.model)
  const id = `chatcmpl-fake${fake.requests.length}`
  const created = Math.floor(Date.now() / 1000)
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`
  const pieces = tokens(fake.text)
  const messages = record.body.messages as { content: string }[]
  const promptTokens = messages.reduce((sum, message) => sum + tokens(message.content).length, 0)

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': `req_${id}` })
  write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]))
  for (let i = 0; i < pieces.length; i++) {
    if (fault && 'disconnectAfterChunks' in fault && i === fault.disconnectAfterChunks) return await disconnect()
    if (fault && 'malformedAfterChunks' in fault && i === fault.malformedAfterChunks) {
      write('data: {"id": "broken", "choices": [{"delta": {"content": "unterminated\n\n')
      return void res.end()
    }
    if (fault && 'streamErrorAfterChunks' in fault && i === fault.streamErrorAfterChunks) {
      write(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error' } })}\n\n`)
      return void res.end()
    }
    if (i > 0 && fake.chunkDelayMs > 0 && !(await pause(fake.chunkDelayMs))) return
    if (!write(chunk([{ index: 0, delta: { content: pieces[i] }, finish_reason: null }]))) return
  }
  write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]))
  const wantsUsage = (record.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true
  if (fake.usage && wantsUsage) {
    // As OpenAI counts them: prompt_tokens includes the cached ones.
    const cached = Math.min(fake.cachedTokens, promptTokens)
    const details = cached > 0 ? { prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 } } : {}
    write(chunk([], { usage: { prompt_tokens: promptTokens, completion_tokens: pieces.length, total_tokens: promptTokens + pieces.length, ...details } }))
  }
  write('data: [DONE]\n\n')
  res.end()
}
