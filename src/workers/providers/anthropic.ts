/**
 * Anthropic's Messages API through the official SDK, streamed, with the SDK's retries off
 * (the queue retries, with backoff, Retry-After and breakers that can see the outage).
 *
 * Job config: `baseUrl`, `system`, `maxTokens` (the API requires one: default 1024) and
 * `stop`. The key comes from ANTHROPIC_API_KEY in the worker's environment, never from the job.
 * `temperature`, `topP`, `topK` and `seed` are not sent: the API version this SDK speaks
 * (2026-10-21) has no sampling parameters, and jobs written for other providers may carry them.
 */
import Anthropic from '@anthropic-ai/sdk'
import type { MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages'
import { AttemptError } from '../../shared/errors'
import { classify } from '../classify'
import { ClientCache, SDK_TIMEOUT_MS, apiKey, baseUrl, numberField, requireModel, stopField, stringField } from './http-config'
import type { Generation, GenerationHooks, GenerationRequest, Provider } from './provider'

const NAME = 'anthropic'
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com'
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024

const clients = new ClientCache<Anthropic>()

export function anthropicRequest(prompt: string, model: string | null, config: Record<string, unknown>): MessageCreateParamsStreaming {
  const body: MessageCreateParamsStreaming = {
    model: requireModel(NAME, model),
    max_tokens: numberField(NAME, config, 'maxTokens', { min: 1, max: 1_000_000, integer: true }) ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: [{ role: 'user', content: prompt }],
    stream: true,
  }
  const system = stringField(NAME, config, 'system')
  const stop = stopField(NAME, config, 16)
  if (system) body.system = system
  if (stop !== undefined) body.stop_sequences = stop
  return body
}

/** Input as billed: plain input plus what was written to or read from the prompt cache. */
function inputTokensOf(usage: { input_tokens?: number | null; cache_creation_input_tokens?: number | null; cache_read_input_tokens?: number | null }) {
  if (typeof usage.input_tokens !== 'number') return null
  return usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0)
}

export const anthropic: Provider = {
  label: 'Anthropic',
  async generate({ prompt, model, config }: GenerationRequest, { signal, onProgress, traceparent }: GenerationHooks): Promise<Generation> {
    const body = anthropicRequest(prompt, model, config)
    const url = baseUrl(NAME, config, ANTHROPIC_DEFAULT_BASE_URL)
    const key = apiKey(NAME, 'ANTHROPIC_API_KEY', url, config)
    const client = clients.get(
      url,
      key,
      // logLevel off: the SDK would print the raw chunk of a malformed stream to the console; the failure carries what matters.
      () => new Anthropic({ apiKey: key, baseURL: url.href.replace(/\/+$/, ''), maxRetries: 0, timeout: SDK_TIMEOUT_MS, logLevel: 'off' }),
    )
    let text = ''
    let streamed = 0
    let finished = false
    let inputTokens: number | null = null
    let outputTokens: number | null = null
    try {
      const stream = await client.messages.create(body, { signal, headers: traceparent ? { traceparent } : undefined })
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            inputTokens = inputTokensOf(event.message.usage)
            outputTokens = event.message.usage.output_tokens
            break
          case 'content_block_delta':
            // Thinking counts as progress (it is output the model is producing), but only text is the answer.
            if (event.delta.type === 'text_delta') text += event.delta.text
            if (event.delta.type === 'text_delta' || event.delta.type === 'thinking_delta') onProgress(++streamed, null)
            break
          case 'message_delta':
            // Cumulative counts: the last one is the total.
            outputTokens = event.usage.output_tokens
            inputTokens = inputTokensOf(event.usage) ?? inputTokens
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
      throw classify(error, { aborted: signal.aborted, reason: signal.reason, authHint: 'check ANTHROPIC_API_KEY' })
    }
    const total = outputTokens ?? streamed
    onProgress(total, 1)
    return { text, inputTokens, outputTokens: total }
  },
}
