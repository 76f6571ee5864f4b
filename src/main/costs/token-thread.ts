/**
 * The token-count thread: an estimate's prompts counted with an OpenAI model's own encoding
 * (gpt-tokenizer), off the main thread. Loading an encoding's tables holds a thread for a few
 * hundred milliseconds and counting 100,000 prompts for seconds; here neither touches the
 * window. It answers each request with the counts in the order of the texts.
 */
import { parentPort } from 'node:worker_threads'
import type { ThreadEncoding, TokenThreadReply, TokenThreadRequest } from './token-protocol'

type Counter = (text: string, options?: { disallowedSpecial?: Set<string> }) => number

const LOADERS: Record<ThreadEncoding, () => Promise<{ countTokens: Counter }>> = {
  o200k_base: () => import('gpt-tokenizer/encoding/o200k_base'),
  cl100k_base: () => import('gpt-tokenizer/encoding/cl100k_base'),
}

// A prompt may hold text like "<|endoftext|>": the API reads it as plain text, so it is counted as such.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() }

const loaded = new Map<ThreadEncoding, Promise<Counter>>()
const counterOf = (encoding: ThreadEncoding) => {
  let counter = loaded.get(encoding)
  if (!counter) loaded.set(encoding, (counter = LOADERS[encoding]().then((module) => module.countTokens)))
  return counter
}

const port = parentPort
if (port) {
  port.on('message', (request: TokenThreadRequest) => {
    counterOf(request.encoding).then(
      (count) => port.postMessage({ id: request.id, counts: request.texts.map((text) => count(text, PLAIN_TEXT)) } satisfies TokenThreadReply),
      (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) } satisfies TokenThreadReply),
    )
  })
}
