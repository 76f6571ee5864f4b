/**
 * A fake of OpenAI's Batch API on loopback, close enough to the wire that the official SDK
 * reads it: POST /v1/files (multipart, purpose=batch, a JSONL of requests), POST
 * /v1/batches, GET /v1/batches/{id} (validating, in_progress, finalizing, then completed,
 * expired or cancelled), POST /v1/batches/{id}/cancel (cancelling), and GET
 * /v1/files/{id}/content for the output and error files. See fake-batches.ts for what a
 * test can make it do.
 */
import { FakeBatchBook, promptOf, wordCount, type FakeBatch, type LineAnswer } from './fake-batches'
import { answer as answerChat, type FakeOpenAI } from './fake-openai'
import { sendError, startFakeServer, type Exchange, type FakeServer } from './fake-server'

export interface FakeOpenAIBatches extends FakeServer {
  /** The base URL a profile names: http://127.0.0.1:PORT/v1. */
  url: string
  book: FakeBatchBook
  files: Map<string, string>
  /** Real-time requests (POST /v1/chat/completions) are answered as fake-openai.ts answers them: a job moved off the batch lane lands here. */
  chat: FakeOpenAI
  /** How many real-time requests came: each one a provider call the batch did not make. */
  chatCalls: number
}

const STATUS_OF = { validating: 'validating', in_progress: 'in_progress', finalizing: 'finalizing' } as const

export async function startFakeOpenAIBatches(): Promise<FakeOpenAIBatches> {
  const fake: FakeOpenAIBatches = Object.assign(await startFakeServer((exchange) => answer(fake, exchange)), {
    url: '',
    book: new FakeBatchBook('batch_fake'),
    files: new Map<string, string>(),
    chatCalls: 0,
    chat: undefined as unknown as FakeOpenAI,
  })
  // The streaming fake's settings, sharing this server's record of requests.
  fake.chat = Object.assign(Object.create(fake) as FakeOpenAI, { text: 'A real-time answer.', chunkDelayMs: 0, usage: true, cachedTokens: 0, fault: null })
  fake.url = `${fake.origin}/v1`
  return fake
}

function json(exchange: Exchange, body: unknown): void {
  exchange.res.writeHead(200, { 'content-type': 'application/json' })
  exchange.res.end(JSON.stringify(body))
}

let fileIds = 1

async function answer(fake: FakeOpenAIBatches, exchange: Exchange): Promise<void> {
  const { req, res, record } = exchange
  const path = record.path.split('?')[0]!
  // What the provider was asked, for a bench that runs this fake in a process of its own.
  if (req.method === 'GET' && path === '/fake/counts') {
    return json(exchange, { batches: fake.book.batches.size, linesUploaded: fake.book.linesUploaded, chatCalls: fake.chatCalls })
  }
  if (req.method === 'POST' && path === '/v1/chat/completions') {
    fake.chatCalls++
    return answerChat(fake.chat, exchange)
  }
  if (req.method === 'POST' && path === '/v1/files') {
    // The SDK sends multipart/form-data: read back as a browser would.
    const form = await new Response(String(record.body.unparsed ?? ''), { headers: { 'content-type': req.headers['content-type'] ?? '' } }).formData()
    const file = form.get('file') as File
    const id = `file-fake${fileIds++}`
    fake.files.set(id, await file.text())
    return json(exchange, { id, object: 'file', bytes: file.size, created_at: now(), filename: file.name, purpose: form.get('purpose'), status: 'processed' })
  }
  if (req.method === 'POST' && path === '/v1/batches') {
    const input = fake.files.get(String(record.body.input_file_id))
    if (input === undefined)
      return sendError(res, 404, { error: { message: 'No such File object', type: 'invalid_request_error', param: 'input_file_id', code: null } })
    const requests = input
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { custom_id: string; body: Record<string, unknown> })
      .map((line) => ({ customId: line.custom_id, body: line.body }))
    return json(exchange, batchObject(fake, fake.book.create(requests), record.body))
  }
  const batchMatch = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path)
  const batch = batchMatch ? fake.book.batches.get(batchMatch[1]!) : undefined
  if (batchMatch && !batch) return sendError(res, 404, { error: { message: 'No batch found', type: 'invalid_request_error', param: null, code: null } })
  if (batch && req.method === 'POST' && batchMatch![2]) {
    fake.book.cancel(batch)
    return json(exchange, batchObject(fake, batch))
  }
  if (batch && req.method === 'GET') return json(exchange, batchObject(fake, fake.book.advance(batch)))
  const fileMatch = /^\/v1\/files\/([^/]+)\/content$/.exec(path)
  if (fileMatch && req.method === 'GET' && fake.files.has(fileMatch[1]!)) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    return void res.end(fake.files.get(fileMatch[1]!))
  }
  sendError(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } })
}

const now = () => Math.floor(Date.now() / 1000)

/** The batch as GET /v1/batches/{id} shows it; once it has ended, its output and error files exist. */
function batchObject(fake: FakeOpenAIBatches, batch: FakeBatch, created?: Record<string, unknown>): Record<string, unknown> {
  const status = batch.phase !== 'ended' ? (batch.cancelRequested ? 'cancelling' : STATUS_OF[batch.phase]) : batch.ending!
  const files = batch.phase === 'ended' ? endFiles(fake, batch) : { output: null, error: null, completed: 0, failed: 0 }
  return {
    id: batch.id,
    object: 'batch',
    endpoint: '/v1/chat/completions',
    errors: null,
    input_file_id: 'file-input',
    completion_window: '24h',
    status,
    output_file_id: files.output,
    error_file_id: files.error,
    created_at: Math.floor(batch.createdAt / 1000),
    request_counts: { total: batch.requests.length, completed: files.completed, failed: files.failed },
    metadata: created?.metadata ?? null,
  }
}

/** Writes the ended batch's output and error files once, and names them. */
function endFiles(fake: FakeOpenAIBatches, batch: FakeBatch) {
  const outputId = `file-out-${batch.id}`
  const errorId = `file-err-${batch.id}`
  const output: string[] = []
  const errors: string[] = []
  for (const [index, { request, answer }] of fake.book.results(batch).entries()) {
    const line = lineOf(batch, index, request.customId, request.body, answer)
    ;(line.ok ? output : errors).push(line.text)
  }
  if (!fake.files.has(outputId)) {
    fake.files.set(outputId, output.join('\n') + (output.length ? '\n' : ''))
    fake.files.set(errorId, errors.join('\n') + (errors.length ? '\n' : ''))
  }
  return { output: output.length ? outputId : null, error: errors.length ? errorId : null, completed: output.length, failed: errors.length }
}

function lineOf(batch: FakeBatch, index: number, customId: string, body: Record<string, unknown>, answer: LineAnswer | null): { ok: boolean; text: string } {
  const id = `batch_req_${batch.id}_${index}`
  if (answer === null) {
    const code = batch.ending === 'expired' ? 'batch_expired' : 'batch_cancelled'
    return { ok: false, text: JSON.stringify({ id, custom_id: customId, response: null, error: { code, message: `This request was not executed: ${code}.` } }) }
  }
  if (answer === 'malformed') return { ok: true, text: `{"id": "${id}", "custom_id": "${customId}", "response": {"status_code": 200, "body": {"choices": [` }
  if (answer === 'mangled') return { ok: true, text: JSON.stringify({ id, custom_id: customId, response: { status_code: 200, body: { choices: [null] } } }) }
  if ('status' in answer) {
    const error = { message: answer.message, type: answer.type, param: null, code: null }
    return {
      ok: false,
      text: JSON.stringify({ id, custom_id: customId, response: { status_code: answer.status, request_id: `req_${id}`, body: { error } }, error: null }),
    }
  }
  const prompt = wordCount(promptOf(body))
  const completion = wordCount(answer.text)
  const completionBody = {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: now(),
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: answer.text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  }
  return {
    ok: true,
    text: JSON.stringify({ id, custom_id: customId, response: { status_code: 200, request_id: `req_${id}`, body: completionBody }, error: null }),
  }
}
