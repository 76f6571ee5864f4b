/**
 * A fake of Anthropic's Message Batches on loopback, close enough to the wire that the
 * official SDK reads it: POST /v1/messages/batches, GET /v1/messages/batches/{id}
 * (in_progress, then ended; canceling after a cancel), POST .../{id}/cancel, and the JSONL
 * at the batch's results_url (succeeded, errored, canceled, expired). See fake-batches.ts
 * for what a test can make it do.
 */
import { FakeBatchBook, promptOf, wordCount, type FakeBatch, type LineAnswer } from './fake-batches'
import { sendError, startFakeServer, type Exchange, type FakeServer } from './fake-server'

export interface FakeAnthropicBatches extends FakeServer {
  /** The base URL a profile names: http://127.0.0.1:PORT. */
  url: string
  book: FakeBatchBook
}

export async function startFakeAnthropicBatches(): Promise<FakeAnthropicBatches> {
  const fake: FakeAnthropicBatches = Object.assign(await startFakeServer((exchange) => answer(fake, exchange)), {
    url: '',
    book: new FakeBatchBook('msgbatch_fake'),
  })
  fake.url = fake.origin
  return fake
}

function json(exchange: Exchange, body: unknown): void {
  exchange.res.writeHead(200, { 'content-type': 'application/json' })
  exchange.res.end(JSON.stringify(body))
}

async function answer(fake: FakeAnthropicBatches, exchange: Exchange): Promise<void> {
  const { req, res, record } = exchange
  const path = record.path.split('?')[0]!
  if (req.method === 'POST' && path === '/v1/messages/batches') {
    const requests = (record.body.requests as { custom_id: string; params: Record<string, unknown> }[]).map((request) => ({
      customId: request.custom_id,
      body: request.params,
    }))
    return json(exchange, batchObject(fake, fake.book.create(requests)))
  }
  const match = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path)
  const batch = match ? fake.book.batches.get(match[1]!) : undefined
  if (!match || !batch) return sendError(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${path}` } })
  if (req.method === 'POST' && match[2] === '/cancel') {
    fake.book.cancel(batch)
    return json(exchange, batchObject(fake, batch))
  }
  if (req.method === 'GET' && match[2] === '/results') {
    if (batch.phase !== 'ended') return sendError(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'results are not ready' } })
    res.writeHead(200, { 'content-type': 'application/binary' })
    return void res.end(
      fake.book
        .results(batch)
        .map(({ request, answer }) => lineOf(batch, request.customId, request.body, answer))
        .join('\n') + '\n',
    )
  }
  if (req.method === 'GET' && match[2] === undefined) return json(exchange, batchObject(fake, fake.book.advance(batch)))
  sendError(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${path}` } })
}

function batchObject(fake: FakeAnthropicBatches, batch: FakeBatch): Record<string, unknown> {
  const ended = batch.phase === 'ended'
  const results = ended ? fake.book.results(batch) : []
  const count = (test: (answer: LineAnswer | null) => boolean) => results.filter(({ answer }) => test(answer)).length
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : batch.cancelRequested ? 'canceling' : 'in_progress',
    request_counts: {
      processing: ended ? 0 : batch.requests.length,
      succeeded: count((answer) => answer !== null && answer !== 'malformed' && answer !== 'mangled' && 'text' in answer),
      errored: count((answer) => answer !== null && (answer === 'malformed' || answer === 'mangled' || 'status' in answer)),
      canceled: batch.ending === 'cancelled' ? count((answer) => answer === null) : 0,
      expired: batch.ending === 'expired' ? count((answer) => answer === null) : 0,
    },
    ended_at: ended ? new Date().toISOString() : null,
    created_at: new Date(batch.createdAt).toISOString(),
    expires_at: new Date(batch.createdAt + 86_400_000).toISOString(),
    archived_at: null,
    cancel_initiated_at: batch.cancelRequested ? new Date().toISOString() : null,
    results_url: ended ? `${fake.origin}/v1/messages/batches/${batch.id}/results` : null,
  }
}

function lineOf(batch: FakeBatch, customId: string, body: Record<string, unknown>, answer: LineAnswer | null): string {
  if (answer === null) return JSON.stringify({ custom_id: customId, result: { type: batch.ending === 'expired' ? 'expired' : 'canceled' } })
  if (answer === 'malformed') return `{"custom_id": "${customId}", "result": {"type": "succeeded", "message": {`
  if (answer === 'mangled') return JSON.stringify({ custom_id: customId, result: { type: 'succeeded', message: { content: [null] } } })
  if ('status' in answer)
    return JSON.stringify({ custom_id: customId, result: { type: 'errored', error: { type: 'error', error: { type: answer.type, message: answer.message } } } })
  const message = {
    id: `msg_${customId}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [{ type: 'text', text: answer.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: wordCount(promptOf(body)), output_tokens: wordCount(answer.text), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  }
  return JSON.stringify({ custom_id: customId, result: { type: 'succeeded', message } })
}
