/**
 * Anthropic's Message Batches through the official SDK: the requests go up in one call
 * (POST /v1/messages/batches), the batch is polled until `ended`, and its results are the
 * JSONL at its results_url, read here as text so that one malformed line fails only its
 * own job. The params of a request are the real-time attempt's (workers/providers/anthropic.ts),
 * without streaming.
 */
import Anthropic from '@anthropic-ai/sdk'
import type { AnthropicConfig } from '../../shared/job-config'
import { anthropicUsage } from '../../shared/tokens'
import { reach } from '../../workers/providers/endpoint'
import { ANTHROPIC_DEFAULT_BASE_URL, anthropicClient, anthropicRequest } from '../../workers/providers/anthropic'
import { customIdIn, jsonlLines, type BatchApi, type BatchApiTarget, type BuiltLine, type LineResult } from './api'

/** The HTTP status each of Anthropic's error types comes with, so an errored line is classified as the same error in real time. */
const STATUS_OF: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
}

export function anthropicBatchApi({ endpoint }: BatchApiTarget): BatchApi {
  let made: Anthropic | undefined
  // Made at the first call, so a missing key fails that call (an attempt of each line) rather than the gather.
  const client = (): Anthropic => {
    if (made) return made
    const to = reach({ name: 'anthropic', variable: 'ANTHROPIC_API_KEY', defaultUrl: ANTHROPIC_DEFAULT_BASE_URL }, undefined, endpoint)
    // As for real-time attempts (no ANTHROPIC_AUTH_TOKEN from the environment, the SDK's retries off).
    return (made = anthropicClient(to))
  }
  return {
    kind: 'anthropic',
    line(jobId, customId, prompt, model, config): BuiltLine {
      const { stream: _stream, ...params } = anthropicRequest(prompt, model, config as AnthropicConfig)
      const value = { custom_id: customId, params }
      return { jobId, customId, value, text: JSON.stringify(value) }
    },
    async upload(lines) {
      const batch = await client().messages.batches.create({ requests: lines.map((line) => line.value) as Anthropic.Messages.BatchCreateParams['requests'] })
      return { remoteId: batch.id, status: batch.processing_status }
    },
    async status(remoteId) {
      const batch = await client().messages.batches.retrieve(remoteId)
      return { status: batch.processing_status, ended: batch.processing_status === 'ended' }
    },
    async cancel(remoteId) {
      await client().messages.batches.cancel(remoteId)
    },
    async *results(remoteId) {
      const batch = await client().messages.batches.retrieve(remoteId)
      if (!batch.results_url) return
      // The raw body, not the SDK's JSONL decoder: it would stop at the first line that does not parse.
      yield* jsonlLines(
        await client()
          .get(batch.results_url, { headers: { Accept: 'application/binary' } })
          .asResponse(),
      )
    },
    parse: parseAnthropicLine,
  }
}

interface AnthropicLine {
  custom_id?: unknown
  result?: {
    type?: string
    message?: { content?: { type: string; text?: string }[]; usage?: Parameters<typeof anthropicUsage>[0] }
    error?: { type?: string; error?: { type?: string; message?: string } }
  }
}

export function parseAnthropicLine(text: string): LineResult {
  let line: AnthropicLine
  try {
    line = JSON.parse(text) as AnthropicLine
  } catch (error) {
    return { customId: customIdIn(text), kind: 'malformed', reason: `the provider's result line is not JSON (${(error as Error).message})` }
  }
  if (typeof line !== 'object' || line === null || typeof line.custom_id !== 'string') {
    return { customId: customIdIn(text), kind: 'malformed', reason: "the provider's result line has no custom_id" }
  }
  const customId = line.custom_id
  const result = line.result
  switch (result?.type) {
    case 'succeeded': {
      const content = result.message?.content
      if (!Array.isArray(content)) return { customId, kind: 'malformed', reason: "the provider's answer has no content" }
      // A block that is not an object (a proxy's mangled answer) fails this line, not the whole batch's settle.
      if (!content.every((block) => typeof block === 'object' && block !== null))
        return { customId, kind: 'malformed', reason: "the provider's answer has a content block that is not an object" }
      const answer = content.filter((block) => block.type === 'text' && typeof block.text === 'string').map((block) => block.text!)
      return { customId, kind: 'ok', text: answer.join(''), usage: anthropicUsage(result.message?.usage ?? {}) }
    }
    case 'errored': {
      const body = result.error ?? {}
      const status = STATUS_OF[body.error?.type ?? ''] ?? 500
      return { customId, kind: 'error', error: Anthropic.APIError.generate(status, body, body.error?.message, new Headers()) }
    }
    case 'expired':
    case 'canceled':
      return { customId, kind: 'unfinished', why: `the provider batch ${result.type === 'expired' ? 'expired' : 'was cancelled'} before this line ran` }
    default:
      return { customId, kind: 'malformed', reason: `the provider's result line has an unknown result type ${JSON.stringify(result?.type ?? null)}` }
  }
}
