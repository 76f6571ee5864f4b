/**
 * Anthropic's Messages API through the official SDK, streamed, with the SDK's retries off
 * (the queue retries, with backoff, Retry-After and breakers that can see the outage).
 *
 * Job config (shared/job-config's AnthropicConfig): `baseUrl` (a server on this machine),
 * `system`, `maxTokens` (the API requires one: default 1024), `stop` and `cacheSystemPrompt`
 * (the system prompt marked for the prompt cache, usually a profile's default). The key comes
 * from the profile or ANTHROPIC_API_KEY, never from the job (see endpoint.ts).
 * `temperature`, `topP`, `topK` and `seed` are not sent: the API version this SDK speaks
 * (2026-10-21) has no sampling parameters, and jobs written for other providers may carry them.
 */
import Anthropic from '@anthropic-ai/sdk'
import type { MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages'
import { AttemptError } from '../../shared/errors'
import { readAnthropicQuota } from '../../shared/ratelimit-headers'
import type { AnthropicConfig } from '../../shared/job-config'
import { anthropicUsage, cacheClasses, type TokenUsage } from '../../shared/tokens'
import { classify } from '../classify'
import { authContext, reach, type Reach } from './endpoint'
import { ClientCache, SDK_TIMEOUT_MS, requireModel } from './http-config'
import type { Generation, GenerationHooks, Provider } from './provider'

const NAME = 'anthropic'
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com'
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024

const clients = new ClientCache<Anthropic>()

export function anthropicRequest(prompt: string, model: string | null, config: AnthropicConfig): MessageCreateParamsStreaming {
  const body: MessageCreateParamsStreaming = {
    model: requireModel(NAME, model),
    max_tokens: config.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  }
  // A profile's cacheSystemPrompt marks the system prompt for Anthropic's prompt cache: written once (1.25x input), read after (0.1x).
  if (config.system) body.system = config.cacheSystemPrompt ? [{ type: 'text', text: config.system, cache_control: { type: 'ephemeral' } }] : config.system
  if (config.stop !== undefined) body.stop_sequences = typeof config.stop === 'string' ? [config.stop] : config.stop
  return body
}

/** message_delta's usage over message_start's: each class the delta reports replaces the earlier count. */
function mergeUsage(
  earlier: TokenUsage,
  later: TokenUsage,
  reported: { input_tokens?: number | null; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null },
): TokenUsage {
  const cached = typeof reported.cache_read_input_tokens === 'number' ? later.cachedInputTokens : earlier.cachedInputTokens
  const written = typeof reported.cache_creation_input_tokens === 'number' ? later.cacheWriteTokens : earlier.cacheWriteTokens
  return {
    inputTokens: typeof reported.input_tokens === 'number' ? later.inputTokens : earlier.inputTokens,
    outputTokens: later.outputTokens ?? earlier.outputTokens,
    ...cacheClasses(cached ?? 0, written ?? 0),
  }
}

/** The rate-limit headers of a response (a 200's or an error's), when it carried any. */
function reportQuota(headers: Headers | undefined, sentAt: number, onQuota: GenerationHooks['onQuota']): void {
  const reading = headers && onQuota ? readAnthropicQuota(headers, Date.now(), sentAt) : undefined
  if (reading) onQuota!(reading)
}

/**
 * The SDK's client as GenOps makes it, for real-time attempts and the batch lane alike: the
 * key reach() chose and nothing from the environment (ANTHROPIC_AUTH_TOKEN would go as a
 * bearer token beside the key, to any endpoint), the SDK's retries off (the queue retries),
 * and quiet (it would print the raw chunk of a malformed stream to the console).
 */
export function anthropicClient(to: Reach): Anthropic {
  return new Anthropic({ apiKey: to.key, authToken: null, baseURL: to.url.href.replace(/\/+$/, ''), maxRetries: 0, timeout: SDK_TIMEOUT_MS, logLevel: 'off' })
}

export const anthropic: Provider<AnthropicConfig> = {
  label: 'Anthropic',
  async generate({ prompt, model, config, endpoint }, { signal, onProgress, traceparent, onQuota }: GenerationHooks): Promise<Generation> {
    const body = anthropicRequest(prompt, model, config)
    const to = reach({ name: NAME, variable: 'ANTHROPIC_API_KEY', defaultUrl: ANTHROPIC_DEFAULT_BASE_URL }, config.baseUrl, endpoint)
    const client = clients.get(to, () => anthropicClient(to))
    let text = ''
    let streamed = 0
    let finished = false
    let usage: TokenUsage = { inputTokens: null, outputTokens: null }
    const sentAt = Date.now()
    try {
      const { data: stream, response } = await client.messages.create(body, { signal, headers: traceparent ? { traceparent } : undefined }).withResponse()
      reportQuota(response.headers, sentAt, onQuota)
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            usage = anthropicUsage(event.message.usage)
            break
          case 'content_block_delta':
            // Thinking counts as progress (it is output the model is producing), but only text is the answer.
            if (event.delta.type === 'text_delta') text += event.delta.text
            if (event.delta.type === 'text_delta' || event.delta.type === 'thinking_delta') onProgress(++streamed, null)
            break
          case 'message_delta':
            // Cumulative counts: the last one is the total; a class the delta leaves out (null) keeps message_start's.
            usage = mergeUsage(usage, anthropicUsage(event.usage), event.usage)
            break
          case 'message_stop':
            finished = true
            break
        }
      }
      // The SDK ends the loop quietly when the request is aborted: an abort must not pass for a short answer.
      signal.throwIfAborted()
      // undici ends a body quietly when the server drops the connection mid-stream: only the missing message_stop tells.
      if (!finished) throw new AttemptError('NETWORK', `${NAME}: the connection closed before the model finished (no message_stop in the stream)`)
    } catch (error) {
      if (error instanceof Anthropic.APIError) reportQuota(error.headers, sentAt, onQuota)
      throw classify(error, { aborted: signal.aborted, reason: signal.reason, ...authContext(to) })
    }
    const total = usage.outputTokens ?? streamed
    onProgress(total, 1)
    return { text, ...usage, outputTokens: total }
  },
}
