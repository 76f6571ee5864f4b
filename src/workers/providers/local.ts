/**
 * A GGUF model run in the worker thread by node-llama-cpp on the CPU. The job's model is
 * the absolute path of the .gguf file. node-llama-cpp (and its native binary) is imported
 * only when a local job runs, so the other providers and the no-op drain never load it.
 *
 * Each worker thread keeps one llama instance, each model it has loaded (by path) and one
 * context; an attempt takes the context's sequence and gives it back with its history
 * cleared. Attempts of one thread generate one at a time: two at once would take twice the
 * cores the thread was given.
 *
 * Job config: `maxTokens` (default 256), `temperature`, `topP`, `topK`, `seed`, `stop`,
 * `system` (put before the prompt: these are completion models, not chat templates), and
 * `llamaThreads` to override the thread count worked out below.
 */
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { isAbsolute } from 'node:path'
import type { Llama, LlamaContext, LlamaModel } from 'node-llama-cpp'
import { workerData } from 'piscina'
import { AttemptError } from '../../shared/errors'
import { classify } from '../classify'
import type { LocalConfig } from '../../shared/job-config'
import type { Generation, GenerationHooks, GenerationRequest, Provider } from './provider'

const NAME = 'local'
export const LOCAL_DEFAULT_MAX_TOKENS = 256

/**
 * llama's threads for one attempt. llama.cpp's threads wait for each other at every step:
 * when they outnumber the free cores, generation does not slow a little, it collapses
 * (stories260K on 2 cores: ~1,000 tokens/s with 1 thread, 4-20 with 2 while the main
 * thread works). So the pool's threads share the cores less one, kept for the main thread.
 * The pool passes its size as piscina's `workerData.poolThreads`; GENOPS_POOL_THREADS
 * stands in outside a pool.
 */
export function llamaThreads(config: LocalConfig, cores = availableParallelism()): number {
  // More threads than cores is never faster, only the collapse described above.
  if (config.llamaThreads !== undefined) return Math.min(config.llamaThreads, cores)
  const fromPool = (workerData as { poolThreads?: unknown } | undefined)?.poolThreads
  const fromEnv = Number(process.env.GENOPS_POOL_THREADS)
  const poolThreads =
    typeof fromPool === 'number' && Number.isInteger(fromPool) && fromPool > 0 ? fromPool : Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1
  return Math.max(1, Math.floor((cores - 1) / poolThreads))
}

/** The job's model: an absolute path to a readable .gguf file; anything else is refused with the path in the message. */
export async function modelPath(model: string | null): Promise<string> {
  if (typeof model !== 'string' || model.trim() === '')
    throw new AttemptError('VALIDATION', `${NAME}: the job names no model (set its model to the path of a .gguf file)`)
  const path = model.trim()
  const shown = JSON.stringify(path.slice(0, 300))
  if (!isAbsolute(path)) throw new AttemptError('VALIDATION', `${NAME}: model ${shown} is not an absolute path`)
  if (!path.toLowerCase().endsWith('.gguf')) throw new AttemptError('VALIDATION', `${NAME}: model ${shown} is not a .gguf file`)
  try {
    if (!(await stat(path)).isFile()) throw new Error('not a regular file')
    await access(path, constants.R_OK)
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new AttemptError('VALIDATION', `${NAME}: model ${shown} is not a readable file (${reason})`)
  }
  return path
}

interface LocalParameters {
  maxTokens: number
  temperature?: number
  topP?: number
  topK?: number
  seed?: number
  stop?: string[]
  system?: string
  threads: number
}

/** The job's config, checked by its schema before it gets here, with the local defaults. */
export function localParameters(config: LocalConfig): LocalParameters {
  return {
    maxTokens: config.maxTokens ?? LOCAL_DEFAULT_MAX_TOKENS,
    temperature: config.temperature,
    topP: config.topP,
    topK: config.topK,
    seed: config.seed,
    stop: typeof config.stop === 'string' ? [config.stop] : config.stop,
    system: config.system,
    threads: llamaThreads(config),
  }
}

let llama: Promise<Llama> | undefined
const models = new Map<string, Promise<LlamaModel>>()

function loadLlama(): Promise<Llama> {
  llama ??= import('node-llama-cpp')
    // The prebuilt CPU binary from npm, or nothing: never a download or a compile inside an attempt.
    .then(({ getLlama, LlamaLogLevel }) =>
      getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error }),
    )
    .catch((error: unknown) => {
      llama = undefined
      throw new AttemptError('PROVIDER', `${NAME}: node-llama-cpp could not start: ${(error as Error).message}`, { retryable: false })
    })
  return llama
}

/** Loaded once per thread and kept; a failed load is forgotten, so a fixed file is tried again. */
function loadModel(path: string): Promise<LlamaModel> {
  let model = models.get(path)
  if (!model) {
    model = loadLlama().then((instance) =>
      instance.loadModel({ modelPath: path }).catch((error: unknown) => {
        models.delete(path)
        throw new AttemptError('MODEL', `${NAME}: could not load model ${JSON.stringify(path)}: ${(error as Error).message}`)
      }),
    )
    models.set(path, model)
  }
  return model
}

interface KeptContext {
  model: LlamaModel
  context: LlamaContext
  size: number
  threads: number
}

/**
 * The thread's context, kept between attempts: making one costs about as much as
 * generating a few tokens of a small model. Attempts run one at a time (see inTurn), so one
 * is enough; it is made again when an attempt needs another model, more room or threads.
 */
let kept: KeptContext | undefined

async function contextFor(model: LlamaModel, size: number, threads: number): Promise<LlamaContext> {
  if (kept && kept.model === model && kept.size >= size && kept.threads === threads && !kept.context.disposed) return kept.context
  const old = kept
  kept = undefined
  await old?.context.dispose()
  const context = await model.createContext({ contextSize: size, threads, sequences: 1 })
  kept = { model, context, size: context.contextSize, threads }
  return context
}

/** The tail of this thread's line of local attempts. */
let line: Promise<void> = Promise.resolve()

/** Runs `work` after the thread's earlier local attempts; an abort while waiting leaves the line. */
async function inTurn<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const before = line
  let release!: () => void
  const mine = new Promise<void>((resolve) => (release = resolve))
  // The next waits for both: leaving early must not let it start beside the one before.
  line = before.then(() => mine)
  try {
    signal.throwIfAborted()
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error)
      signal.addEventListener('abort', onAbort, { once: true })
      void before.then(() => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      })
    })
    return await work()
  } finally {
    release()
  }
}

export const local: Provider<LocalConfig> = {
  label: 'Local model',
  async generate({ prompt, model, config }: GenerationRequest<LocalConfig>, { signal, onProgress }: GenerationHooks): Promise<Generation> {
    const parameters = localParameters(config)
    const path = await modelPath(model)
    const input = parameters.system ? `${parameters.system}\n\n${prompt}` : prompt
    try {
      return await inTurn(signal, async () => {
        const loaded = await loadModel(path)
        const { LlamaCompletion } = await import('node-llama-cpp')
        const inputTokens = loaded.tokenize(input).length
        if (inputTokens >= loaded.trainContextSize) {
          throw new AttemptError('VALIDATION', `${NAME}: the prompt is ${inputTokens} tokens; the model's context holds ${loaded.trainContextSize}`)
        }
        // Room for the prompt and the answer, rounded up so prompts of about one length share a context; past the model's context llama shifts it.
        const room = Math.ceil((inputTokens + parameters.maxTokens + 1) / 256) * 256
        const context = await contextFor(loaded, Math.min(loaded.trainContextSize, room), parameters.threads)
        const sequence = context.getSequence()
        try {
          const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false })
          let outputTokens = 0
          const text = await completion.generateCompletion(input, {
            maxTokens: parameters.maxTokens,
            temperature: parameters.temperature,
            topP: parameters.topP,
            topK: parameters.topK,
            seed: parameters.seed,
            customStopTriggers: parameters.stop,
            // Throw rather than return the text so far: a cancelled attempt must not pass for a short answer.
            signal,
            stopOnAbortSignal: false,
            onToken(tokens) {
              outputTokens += tokens.length
              onProgress(outputTokens, Math.min(1, outputTokens / parameters.maxTokens))
            },
          })
          signal.throwIfAborted()
          onProgress(outputTokens, 1)
          return { text, inputTokens, outputTokens }
        } finally {
          // The next attempt starts from an empty history; the sequence goes back with its context.
          sequence.dispose()
        }
      })
    } catch (error) {
      throw classify(error, { aborted: signal.aborted, reason: signal.reason })
    }
  },
}
