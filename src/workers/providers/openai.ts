/**
 * Any OpenAI-compatible chat completions endpoint through the official SDK: OpenAI itself,
 * or Ollama, vLLM, LM Studio and llama.cpp's server by `config.baseUrl`. The SDK's own
 * retries are off: retrying is the queue's decision (backoff, Retry-After, breakers), and a
 * hidden retry inside one attempt would hide an outage from them.
 *
 * Job config: `baseUrl`, `system`, `temperature`, `maxTokens`, `stop`, `seed`, `topP`.
 * The key comes from OPENAI_API_KEY in the worker's environment, never from the job.
 */
import OpenAI from 'openai'
import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { AttemptError } from '../../shared/errors'
import { classify } from '../classify'
import { ClientCache, SDK_TIMEOUT_MS, apiKey, baseUrl, numberField, requireModel, stopField, stringField } from './http-config'
import type { Generation, GenerationHooks, GenerationRequest, Provider } from './provider'

const NAME = 'openai'
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1'

const clients = new ClientCache<OpenAI>()

/** The request body from the job; every field is checked so a typo fails the job with its name, not the provider's guess. */
export function openaiRequest(prompt: string, model: string | null, config: Record<string, unknown>): ChatCompletionCreateParamsStreaming {
  const system = stringField(NAME, config, 'system')
  const messages: ChatCompletionMessageParam[] = system ? [{ role: 'system', content: system }] : []
  messages.push({ role: 'user', content: prompt })
  const body: ChatCompletionCreateParamsStreaming = {
    model: requireModel(NAME, model),
    messages,
    stream: true,
    // The last chunk then carries the real token counts; without it we only have our chunk count.
    stream_options: { include_usage: true },
  }
  const temperature = numberField(NAME, config, 'temperature', { min: 0, max: 2 })
  const maxTokens = numberField(NAME, config, 'maxTokens', { min: 1, max: 10_000_000, integer: true })
  const stop = stopField(NAME, config, 16)
  const seed = numberField(NAME, config, 'seed', { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true })
  const topP = numberField(NAME, config, 'topP', { min: 0, max: 1 })
  if (temperature !== undefined) body.temperature = temperature
  if (maxTokens !== undefined) body.max_tokens = maxTokens
  if (stop !== undefined) body.stop = stop
  if (seed !== undefined) body.seed = seed
  if (topP !== undefined) body.top_p = topP
  return body
}

/** Servers that stream a model's reasoning put it beside the content (vLLM, DeepSeek: reasoning_content; Ollama: reasoning). */
function reasoningOf(delta: unknown): string | undefined {
  if (typeof delta !== 'object' || delta === null) return undefined
  const fields = delta as Record<string, unknown>
  const value = fields.reasoning_content ?? fields.reasoning
  return typeof value === 'string' && value !== '' ? value : undefined
}

export const openai: Provider = {
  label: 'OpenAI-compatible',
  async generate({ prompt, model, config }: GenerationRequest, { signal, onProgress, traceparent }: GenerationHooks): Promise<Generation> {
    const body = openaiRequest(prompt, model, config)
    const url = baseUrl(NAME, config, OPENAI_DEFAULT_BASE_URL)
    const key = apiKey(NAME, 'OPENAI_API_KEY', url, config)
    const client = clients.get(
      url,
      key,
      // logLevel off: the SDK would print the raw chunk of a malformed stream to the console; the failure carries what matters.
      () => new OpenAI({ apiKey: key, baseURL: url.href.replace(/\/+$/, ''), maxRetries: 0, timeout: SDK_TIMEOUT_MS, logLevel: 'off' }),
    )
    let text = ''
    let streamed = 0
    let finished = false
    let usage: { prompt_tokens: number; completion_tokens: number } | undefined
    try {
      const stream = await client.chat.completions.create(body, { signal, headers: traceparent ? { traceparent } : undefined })
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage
        // The usage chunk has no choices; some servers omit the field there altogether.
        const choice = chunk.choices?.[0]
        if (!choice) continue
        const content = choice.delta?.content
        // One chunk is about one token: close enough for progress, and the usage chunk corrects it.
        if (content) text += content
        if (content || reasoningOf(choice.delta)) onProgress(++streamed, null)
        if (choice.finish_reason) finished = true
      }
      // The SDK ends the loop quietly when the request is aborted: an abort must not pass for a short answer.
      signal.throwIfAborted()
      // undici ends a body quietly when the server drops the connection mid-stream: only the missing finish tells.
      if (!finished) throw new AttemptError('NETWORK', `${NAME}: the connection closed before the model finished (no finish_reason in the stream)`)
    } catch (error) {
      throw classify(error, { aborted: signal.aborted, reason: signal.reason, authHint: 'check OPENAI_API_KEY' })
    }
    const outputTokens = usage?.completion_tokens ?? streamed
    onProgress(outputTokens, 1)
    return { text, inputTokens: usage?.prompt_tokens ?? null, outputTokens }
  },
}
