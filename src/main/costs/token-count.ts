/**
 * Prompts' input tokens before they are sent. An OpenAI model that gpt-tokenizer knows (by
 * its name, or a dated snapshot's base name) is counted with its own encoding, exactly as the
 * provider will count the text, on the token-count thread (token-thread.ts); anything else
 * (Anthropic, whose tokenizer is not published; a local server behind an openai profile; the
 * simulator) is estimated at about four characters a token, the figure the rate and budget
 * gates already use, and the estimate says so.
 */
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { modelToEncodingMap, type EncodingName, type ModelName } from 'gpt-tokenizer/mapping'
import * as openaiModels from 'gpt-tokenizer/models'
import type { InputCounting } from '../../shared/estimate'
import { TOKEN_THREAD_FILE } from '../paths'
import { promptTokens } from '../resilience/gates'
import { baseModel } from './pricing'
import { THREAD_ENCODINGS, type ThreadEncoding, type TokenThreadReply, type TokenThreadRequest } from './token-protocol'

export interface Counting {
  /** The input tokens of each text, in order. */
  countAll(texts: readonly string[]): Promise<number[]>
  counting: InputCounting
}

/** Where a model's encoding is not listed, gpt-tokenizer's own default for its models. */
const DEFAULT_ENCODING: EncodingName = 'o200k_base'

/** Texts a message to the thread carries: the main thread copies a few hundred kilobytes at a time, never a whole file's. */
const TEXTS_PER_MESSAGE = 2_000

/** An idle thread is ended after this long: an encoding's tables hold tens of megabytes. */
const IDLE_MS = 60_000

const ESTIMATED: Counting = {
  countAll: async (texts) => texts.map((text) => promptTokens(text.length)),
  counting: { method: 'estimate', basis: 'about 4 characters a token (no local tokenizer for this model)' },
}

const known = (name: string): name is ModelName => Object.hasOwn(openaiModels, name)

/** The encoding gpt-tokenizer gives this OpenAI model, or null when it does not know the model. */
export function encodingOf(model: string): EncodingName | null {
  const name = [model, baseModel(model)].find(known)
  if (name === undefined) return null
  return (modelToEncodingMap as Partial<Record<string, EncodingName>>)[name] ?? DEFAULT_ENCODING
}

/** The token-count thread, started on first use and ended when idle; a thread that fails fails what it was asked, and the next use starts another. */
class TokenThread {
  private worker: Worker | null = null
  private nextId = 0
  private readonly waiting = new Map<number, { resolve: (counts: number[]) => void; reject: (error: Error) => void }>()
  private idle: NodeJS.Timeout | undefined

  constructor(private readonly file: string) {}

  private start(): Worker {
    // From source (tsx, vitest) the thread is TypeScript: a one-line JavaScript entry loads it through tsx's API (as intake's thread does).
    const url = JSON.stringify(pathToFileURL(this.file).href)
    const worker = this.file.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${url}, ${url}))`, { eval: true })
      : new Worker(this.file)
    worker.on('message', (reply: TokenThreadReply) => {
      const waiter = this.waiting.get(reply.id)
      this.waiting.delete(reply.id)
      if ('error' in reply) waiter?.reject(new Error(`counting tokens: ${reply.error}`))
      else waiter?.resolve(reply.counts)
      this.restIfIdle()
    })
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null
      for (const waiter of this.waiting.values()) waiter.reject(error)
      this.waiting.clear()
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`counting tokens: the token-count thread stopped (exit code ${code})`)))
    return worker
  }

  private restIfIdle(): void {
    clearTimeout(this.idle)
    if (this.waiting.size > 0) return
    // Idle, it never keeps a process (the CLI) alive on its own; while asked, it does, or the answer could be lost at exit.
    this.worker?.unref()
    this.idle = setTimeout(() => {
      const worker = this.worker
      this.worker = null
      void worker?.terminate()
    }, IDLE_MS)
    this.idle.unref()
  }

  count(encoding: ThreadEncoding, texts: string[]): Promise<number[]> {
    clearTimeout(this.idle)
    this.worker ??= this.start()
    this.worker.ref()
    const id = ++this.nextId
    const request: TokenThreadRequest = { id, encoding, texts }
    return new Promise<number[]>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      this.worker!.postMessage(request)
    })
  }
}

const thread = new TokenThread(TOKEN_THREAD_FILE)

function threadCounting(encoding: ThreadEncoding): Counting {
  return {
    counting: { method: 'tokenizer', encoding },
    async countAll(texts) {
      const counts: number[] = []
      for (let at = 0; at < texts.length; at += TEXTS_PER_MESSAGE) counts.push(...(await thread.count(encoding, texts.slice(at, at + TEXTS_PER_MESSAGE))))
      return counts
    },
  }
}

/** How to count prompts for this provider kind and model: the model's tokenizer where one fits, else the estimate. */
export function counterFor(kind: string, model: string | null): Counting {
  const encoding = kind === 'openai' && model !== null ? encodingOf(model) : null
  return encoding !== null && (THREAD_ENCODINGS as readonly string[]).includes(encoding) ? threadCounting(encoding as ThreadEncoding) : ESTIMATED
}
