/**
 * The local provider's cost: tokens/s of GGUF generation through the whole pipeline
 * (engine, SQLite queue, piscina pool, worker, provider) beside node-llama-cpp called
 * directly on the same model in the same run — same llama threads, same prompts, same
 * maxTokens, greedy sampling so both sides generate the same tokens. Prints figures and
 * the target; asserts nothing.
 *
 * Fairness: both sides start warm (the model loaded, one generation done). Direct is the
 * lean use of the library: one context whose history is cleared between prompts. The
 * pipeline is paused with the backlog stored; its clock runs from resume to the last job
 * committed as completed. Rounds alternate, each after waiting for a quiet machine, and
 * the best round of each side is compared: on a shared machine the slow rounds measure
 * the neighbours.
 */
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { createEngine, type Engine } from '../src/main/engine'
import { llamaThreads } from '../src/workers/providers/local'
import { formatNumber, machine, quietMachine, sleep, table, tempDir } from './support'

export interface LocalBenchOptions {
  quick: boolean
  /** How the bench was started, printed as is. */
  command: string
}

const MODEL = join(import.meta.dirname, '../../shared/models/stories260K.gguf')
const SIZES = { full: { jobs: 20, maxTokens: 128, rounds: 5 }, quick: { jobs: 5, maxTokens: 64, rounds: 1 } }
const TARGET_OVERHEAD = 0.1
const POLL_MS = 5
/** The pipeline under test: one pool thread, so llama gets the cores less one for the main thread. */
const POOL_THREADS = 1

const NAMES = ['Lily', 'Tom', 'Sue', 'Ben', 'Mia', 'Max', 'Anna', 'Sam', 'Lucy', 'Tim']
const prompts = (n: number) => Array.from({ length: n }, (_, i) => `Once upon a time, ${NAMES[i % NAMES.length]} ${i < NAMES.length ? 'saw' : 'found'} a`)

interface Run {
  tokens: number
  ms: number
}
const rate = (run: Run) => (run.tokens * 1000) / run.ms

async function direct(texts: string[], maxTokens: number, threads: number): Promise<{ measure(): Promise<Run>; close(): Promise<void> }> {
  const { getLlama, LlamaCompletion, LlamaLogLevel } = await import('node-llama-cpp')
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error })
  const model = await llama.loadModel({ modelPath: MODEL })
  const longest = Math.max(...texts.map((text) => model.tokenize(text).length))
  const context = await model.createContext({ contextSize: Math.min(model.trainContextSize, longest + maxTokens + 1), threads })
  const sequence = context.getSequence()
  const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false })
  const one = async (text: string) => {
    let tokens = 0
    await sequence.clearHistory()
    await completion.generateCompletion(text, { maxTokens, onToken: (chunk) => (tokens += chunk.length) })
    return tokens
  }
  await one(texts[0]!)
  return {
    async measure() {
      const started = performance.now()
      let tokens = 0
      for (const text of texts) tokens += await one(text)
      return { tokens, ms: performance.now() - started }
    },
    async close() {
      await context.dispose()
      await model.dispose()
      await llama.dispose()
    },
  }
}

async function pipeline(texts: string[], maxTokens: number): Promise<{ measure(): Promise<Run>; close(): Promise<void> }> {
  const dir = tempDir('local')
  // Every prompt must reach the model, repeated ones too: this bench measures the provider, not the response cache.
  const engine: Engine = await createEngine({ dataDir: dir.path, threads: POOL_THREADS, cache: { enabled: false } })
  const jobs = (list: string[]) => list.map((prompt) => ({ prompt, provider: 'local', model: MODEL, config: { maxTokens } }))
  const drained = async (total: number) => {
    for (;;) {
      const { counts } = await engine.call('queueStats', {})
      if (counts.dead + counts.cancelled > 0) throw new Error(`local bench: ${counts.dead} dead, ${counts.cancelled} cancelled jobs`)
      if (counts.completed >= total) return
      await sleep(POLL_MS)
    }
  }
  let done = 0
  // Warm: the worker thread has loaded node-llama-cpp and the model, and generated once.
  await engine.call('enqueueJobs', { jobs: jobs(texts.slice(0, 1)) })
  await drained(++done)
  return {
    async measure() {
      await engine.call('pauseQueue', {})
      const { jobIds } = await engine.call('enqueueJobs', { jobs: jobs(texts) })
      const started = performance.now()
      await engine.call('resumeQueue', {})
      await drained((done += texts.length))
      const ms = performance.now() - started
      let tokens = 0
      for (const id of jobIds) tokens += (await engine.call('getJob', { id })).attempts.reduce((sum, attempt) => sum + (attempt.outputTokens ?? 0), 0)
      return { tokens, ms }
    },
    async close() {
      await engine.close()
      dir.remove()
    },
  }
}

/** From the installed package.json: these packages' exports do not include it, so it is read from disk. */
function version(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(import.meta.dirname, '../node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

export async function runLocalBench({ quick, command }: LocalBenchOptions): Promise<void> {
  const sizes = quick ? SIZES.quick : SIZES.full
  const host = machine()
  const saved = process.env.GENOPS_POOL_THREADS
  process.env.GENOPS_POOL_THREADS = String(POOL_THREADS)
  const threads = llamaThreads({})
  if (saved === undefined) delete process.env.GENOPS_POOL_THREADS
  else process.env.GENOPS_POOL_THREADS = saved
  const texts = prompts(sizes.jobs)

  console.log('GenOps local provider benchmark' + (quick ? ' (--quick: a smoke run; figures are not comparable)' : ''))
  console.log(`command: ${command}`)
  console.log(
    `machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}, load average ${loadavg()
      .map((value) => formatNumber(value, 2))
      .join(' ')}`,
  )
  console.log(`versions: node-llama-cpp ${version('node-llama-cpp')}, piscina ${version('piscina')}`)
  console.log(
    `workload: ${sizes.jobs} jobs x up to ${sizes.maxTokens} tokens, greedy, model stories260K.gguf, llama threads ${threads}, ` +
      `pool threads ${POOL_THREADS}; best of ${sizes.rounds} alternating rounds`,
  )

  const sides = { direct: await direct(texts, sizes.maxTokens, threads), pipeline: await pipeline(texts, sizes.maxTokens) }
  const runs: Record<keyof typeof sides, Run[]> = { direct: [], pipeline: [] }
  try {
    for (let round = 0; round < sizes.rounds; round++) {
      for (const side of ['direct', 'pipeline'] as const) {
        await quietMachine(() => [])
        runs[side].push(await sides[side].measure())
      }
    }
  } finally {
    await sides.pipeline.close()
    await sides.direct.close()
  }

  const best = (list: Run[]) => list.reduce((a, b) => (rate(b) > rate(a) ? b : a))
  const row = (name: string, list: Run[]) => [
    name,
    formatNumber(best(list).tokens),
    formatNumber(rate(best(list))),
    list.map((run) => formatNumber(rate(run))).join(' / '),
  ]
  console.log('')
  console.log(
    table(
      ['', 'tokens', 'tokens/s (best)', 'tokens/s each round'],
      [row('node-llama-cpp direct', runs.direct), row('GenOps pipeline (engine + queue + pool)', runs.pipeline)],
    ),
  )
  const overhead = 1 - rate(best(runs.pipeline)) / rate(best(runs.direct))
  console.log('')
  console.log(
    `pipeline overhead: ${formatNumber(overhead * 100, 1)}% fewer tokens/s than direct (target <= ${TARGET_OVERHEAD * 100}%): ` +
      (overhead <= TARGET_OVERHEAD ? 'met' : 'NOT met'),
  )
}
