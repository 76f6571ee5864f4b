/**
 * Any OpenAI-compatible chat completions endpoint through the official SDK: OpenAI itself,
 * or Ollama, vLLM, LM Studio and llama.cpp's server by `config.baseUrl`. The SDK's own
 * retries are off: retrying is the queue's decision (backoff, Retry-After, breakers), and a
 * hidden retry inside one attempt would hide an outage from them.
 *
 * Job config (shared/job-config's OpenAIConfig): `baseUrl` (a server on this machine),
 * `system`, `temperature`, `maxTokens`, `stop`, `seed`, `topP`. The key comes from the
 * profile or OPENAI_API_KEY, never from the job (see endpoint.ts).
 */
import OpenAI from 'openai'
import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { AttemptError } from '../../shared/errors'
import { readOpenAIQuota } from '../../shared/ratelimit-headers'
import type { OpenAIConfig } from '../../shared/job-config'
import { openaiUsage } from '../../shared/tokens'
import { classify } from '../classify'
import { authContext, reach, type Reach } from './endpoint'
import { ClientCache, SDK_TIMEOUT_MS, requireModel } from './http-config'
import type { Generation, GenerationHooks, Provider } from './provider'

const NAME = 'openai'
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1'

const clients = new ClientCache<OpenAI>()

/** The request body from the job's config, checked by its schema before it gets here. */
export function openaiRequest(prompt: string, model: string | null, config: OpenAIConfig): ChatCompletionCreateParamsStreaming {
  const messages: ChatCompletionMessageParam[] = config.system ? [{ role: 'system', content: config.system }] : []
  messages.push({ role: 'user', content: prompt })
  const body: ChatCompletionCreateParamsStreaming = {
    model: requireModel(NAME, model),
    messages,
    stream: true,
    // The last chunk then carries the real token counts; without it we only have our chunk count.
    stream_options: { include_usage: true },
  }
  if (config.temperature !== undefined) body.temperature = config.temperature
  if (config.maxTokens !== undefined) body.max_tokens = config.maxTokens
  if (config.stop !== undefined) body.stop = typeof config.stop === 'string' ? [config.stop] : config.stop
  if (config.seed !== undefined) body.seed = config.seed
  if (config.topP !== undefined) body.top_p = config.topP
  return body
}

/** Servers that stream a model's reasoning put it beside the content (vLLM, DeepSeek: reasoning_content; Ollama: reasoning). */
function reasoningOf(delta: unknown): string | undefined {
  if (typeof delta !== 'object' || delta === null) return undefined
  const fields = delta as Record<string, unknown>
  const value = fields.reasoning_content ?? fields.reasoning
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** The rate-limit headers of a response (a 200's or an error's), when it carried any. */
function reportQuota(headers: Headers | undefined, sentAt: number, onQuota: GenerationHooks['onQuota']): void {
  const reading = headers && onQuota ? readOpenAIQuota(headers, Date.now(), sentAt) : undefined
  if (reading) onQuota!(reading)
}

/**
 * The SDK's client as GenOps makes it, for real-time attempts and the batch lane alike: the
 * key reach() chose; no OPENAI_ORG_ID or OPENAI_PROJECT_ID from the environment for a server
 * a job chose; the SDK's retries off (the queue retries); quiet (it would print the raw chunk
 * of a malformed stream to the console).
 */
export function openaiClient(to: Reach): OpenAI {
  return new OpenAI({
    apiKey: to.key,
    baseURL: to.url.href.replace(/\/+$/, ''),
    ...(to.jobChosen ? { organization: null, project: null } : {}),
    maxRetries: 0,
    timeout: SDK_TIMEOUT_MS,
    logLevel: 'off',
  })
}

export const openai: Provider<OpenAIConfig> = {
  label: 'OpenAI-compatible',
  async generate({ prompt, model, config, endpoint }, { signal, onProgress, traceparent, onQuota }: GenerationHooks): Promise<Generation> {
    const body = openaiRequest(prompt, model, config)
    const to = reach({ name: NAME, variable: 'OPENAI_API_KEY', defaultUrl: OPENAI_DEFAULT_BASE_URL }, config.baseUrl, endpoint)
    const client = clients.get(to, () => openaiClient(to))
    let text = ''
    let streamed = 0
    let finished = false
    let usage: OpenAI.CompletionUsage | undefined
    const sentAt = Date.now()
    try {
      const { data: stream, response } = await client.chat.completions
        .create(body, { signal, headers: traceparent ? { traceparent } : undefined })
        .withResponse()
      reportQuota(response.headers, sentAt, onQuota)
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
      if (error instanceof OpenAI.APIError) reportQuota(error.headers, sentAt, onQuota)
      throw classify(error, { aborted: signal.aborted, reason: signal.reason, ...authContext(to) })
    }
    // prompt_tokens counts the cached ones too: openaiUsage splits them into their own class.
    const tokens = usage ? openaiUsage(usage) : { inputTokens: null, outputTokens: null }
    const outputTokens = tokens.outputTokens ?? streamed
    onProgress(outputTokens, 1)
    return { text, ...tokens, outputTokens }
  },
}
