/**
 * OpenAI's Batch API through the official SDK: the lines go up as a JSONL file (purpose
 * `batch`), then one batch over it (endpoint /v1/chat/completions, completion window 24h);
 * results come back as two files, the output file and the error file. The request body of
 * a line is the real-time attempt's (workers/providers/openai.ts), without streaming.
 */
import OpenAI, { toFile } from 'openai'
import type { OpenAIConfig } from '../../shared/job-config'
import { openaiUsage } from '../../shared/tokens'
import { reach } from '../../workers/providers/endpoint'
import { OPENAI_DEFAULT_BASE_URL, openaiClient, openaiRequest } from '../../workers/providers/openai'
import { customIdIn, jsonlLines, type BatchApi, type BatchApiTarget, type BuiltLine, type LineResult, type RemoteStatus } from './api'

const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled'])
/** Per-line errors that mean the line never ran: it goes back to the queue, not to the DLQ. */
const NOT_RUN = new Set(['batch_expired', 'batch_cancelled'])

export function openaiBatchApi({ endpoint }: BatchApiTarget): BatchApi {
  let made: OpenAI | undefined
  // Made at the first call, so a missing key fails that call (an attempt of each line) rather than the gather.
  const client = (): OpenAI => {
    if (made) return made
    const to = reach({ name: 'openai', variable: 'OPENAI_API_KEY', defaultUrl: OPENAI_DEFAULT_BASE_URL }, undefined, endpoint)
    // Retries off, as for real-time attempts: the lane polls again, and a failed upload is an attempt the queue retries.
    return (made = openaiClient(to))
  }
  return {
    kind: 'openai',
    line(jobId, customId, prompt, model, config): BuiltLine {
      const { stream: _stream, stream_options: _options, ...body } = openaiRequest(prompt, model, config as OpenAIConfig)
      const value = { custom_id: customId, method: 'POST', url: '/v1/chat/completions', body }
      return { jobId, customId, value, text: JSON.stringify(value) }
    },
    async upload(lines, label) {
      const jsonl = lines.map((line) => line.text).join('\n') + '\n'
      const file = await client().files.create({ file: await toFile(Buffer.from(jsonl, 'utf8'), `${label}.jsonl`), purpose: 'batch' })
      const batch = await client().batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { genops: label },
      })
      return { remoteId: batch.id, status: batch.status }
    },
    async status(remoteId): Promise<RemoteStatus> {
      const batch = await client().batches.retrieve(remoteId)
      const failure = batch.status === 'failed' ? (batch.errors?.data?.map((error) => error.message).join('; ') ?? 'the batch failed') : undefined
      return { status: batch.status, ended: ENDED.has(batch.status), failure }
    },
    async cancel(remoteId) {
      await client().batches.cancel(remoteId)
    },
    async *results(remoteId) {
      const batch = await client().batches.retrieve(remoteId)
      for (const fileId of [batch.output_file_id, batch.error_file_id]) {
        if (!fileId) continue
        yield* jsonlLines(await client().files.content(fileId))
      }
    },
    parse: parseOpenAILine,
  }
}

interface OpenAILine {
  custom_id?: unknown
  response?: { status_code?: number; body?: unknown } | null
  error?: { code?: string; message?: string } | null
}

export function parseOpenAILine(text: string): LineResult {
  let line: OpenAILine
  try {
    line = JSON.parse(text) as OpenAILine
  } catch (error) {
    return { customId: customIdIn(text), kind: 'malformed', reason: `the provider's result line is not JSON (${(error as Error).message})` }
  }
  if (typeof line !== 'object' || line === null || typeof line.custom_id !== 'string') {
    return { customId: customIdIn(text), kind: 'malformed', reason: "the provider's result line has no custom_id" }
  }
  const customId = line.custom_id
  if (line.error) {
    if (NOT_RUN.has(line.error.code ?? '')) return { customId, kind: 'unfinished', why: line.error.message ?? line.error.code! }
    // A line-level error is the provider's own failure to run the line (not the request's fault): read as a 500.
    return { customId, kind: 'error', error: OpenAI.APIError.generate(500, { error: line.error }, line.error.message, new Headers()) }
  }
  const status = line.response?.status_code
  const body = line.response?.body as { choices?: { message?: { content?: unknown } }[]; usage?: Parameters<typeof openaiUsage>[0] } | undefined
  if (typeof status !== 'number' || typeof body !== 'object' || body === null) {
    return { customId, kind: 'malformed', reason: "the provider's result line has no response status or body" }
  }
  if (status !== 200) {
    const error = (body as { error?: { message?: string } }).error
    return { customId, kind: 'error', error: OpenAI.APIError.generate(status, body, error?.message, new Headers()) }
  }
  const content = body.choices?.[0]?.message?.content
  if (typeof content !== 'string') return { customId, kind: 'malformed', reason: "the provider's answer has no message content" }
  return { customId, kind: 'ok', text: content, usage: openaiUsage(body.usage ?? {}) }
}
