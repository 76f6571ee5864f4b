/**
 * The built-in simulator: deterministic text derived from the prompt (and a seed), token
 * counts, output streamed over a latency drawn from a distribution, and faults injected
 * at configured rates, so demos, tests, load and chaos drills need no network and no
 * model. Every draw is seeded by the prompt, the seed and the attempt number: the same
 * job fails the same way on the same attempt, and a retry may go through.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { AttemptError, type ErrorCategory } from '../../shared/errors'
import type { SimConfig } from '../../shared/job-config'
import { cacheClasses } from '../../shared/tokens'
import type { Generation, GenerationHooks, GenerationRequest, Provider } from './provider'

const WORDS = (
  'the a queue job model token prompt answer batch quiet river light stone early bright small ' +
  'lantern garden morning signal harbor thread careful steady window paper north field'
).split(' ')

/** Latency is spread over at most this many steps, so long latencies do not mean many timers. */
const MAX_STEPS = 20

/** The simulator's settings with their defaults (each is described in shared/job-config). */
interface SimSettings {
  /** Median time of the whole call. Default 0: a no-op job. */
  latencyMs: number
  /** Spread of the latency: the sigma of a log-normal around the median. 0 (default) is a fixed latency. */
  latencySpread: number
  /** Time before the first token, within the latency. Default: one step of it. */
  firstTokenMs: number | undefined
  seed: number
  outputTokens: number | undefined
  /** Share of attempts that fail each way, drawn per attempt. */
  faults: Record<Fault, number>
  /** Faults are drawn only before this time (ms since the epoch): an outage that ends, for chaos drills. Default: always. */
  faultsUntil: number | undefined
  /** The Retry-After a simulated 429 carries. Default 1 s. */
  retryAfterMs: number
  /** Scripted failures: the first N attempts fail with failCategory (default SERVICE_UNAVAILABLE). */
  failAttempts: number
  failCategory: ErrorCategory
}
type Fault = keyof NonNullable<SimConfig['faults']>

const NO_FAULTS: Record<Fault, number> = { rateLimit: 0, unavailable: 0, timeout: 0, reset: 0, auth: 0, invalidOutput: 0 }

function settings(config: SimConfig): SimSettings {
  return {
    latencyMs: config.latencyMs ?? 0,
    latencySpread: config.latencySpread ?? 0,
    firstTokenMs: config.firstTokenMs,
    seed: config.seed ?? 0,
    outputTokens: config.outputTokens,
    faults: { ...NO_FAULTS, ...config.faults },
    faultsUntil: config.faultsUntil,
    retryAfterMs: config.retryAfterMs ?? 1000,
    failAttempts: config.failAttempts ?? 0,
    failCategory: config.failCategory ?? 'SERVICE_UNAVAILABLE',
  }
}

/** FNV-1a: a stable 32-bit hash, so the same prompt always gives the same text. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** mulberry32: a tiny seeded generator; Math.random cannot be seeded. */
function generator(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function simulatedText(prompt: string, seed: number, tokens: number): string {
  const next = generator(hash(`${seed}:${prompt}`))
  const words: string[] = []
  for (let i = 0; i < tokens; i++) words.push(WORDS[Math.floor(next() * WORDS.length)]!)
  return words.join(' ')
}

/** Which fault, if any, this attempt draws: one uniform draw walked along the cumulative rates. */
export function drawFault(faults: Readonly<Record<Fault, number>>, random: () => number): Fault | null {
  let draw = random()
  for (const [fault, share] of Object.entries(faults) as [Fault, number][]) {
    if (draw < share) return fault
    draw -= share
  }
  return null
}

/** A log-normal draw around the median (Box-Muller): latencies have a long right tail, as real ones do. */
function drawLatency(median: number, spread: number, random: () => number): number {
  if (median === 0 || spread === 0) return median
  const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return Math.min(600_000, median * Math.exp(spread * normal))
}

async function wait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch {
    throw new AttemptError('CANCELLED', 'the attempt was cancelled')
  }
}

export const sim: Provider<SimConfig> = {
  label: 'Simulator',
  async generate({ prompt, attempt, config: given }: GenerationRequest<SimConfig>, { signal, onProgress }: GenerationHooks): Promise<Generation> {
    const config = settings(given)
    const random = generator(hash(`${config.seed}:${prompt}:${attempt}`))
    const faulty = config.faultsUntil === undefined || Date.now() < config.faultsUntil
    const fault = faulty ? drawFault(config.faults, random) : null
    const latencyMs = drawLatency(config.latencyMs, config.latencySpread, random)
    // Cut at maxTokens, as a real provider cuts its answer.
    const outputTokens = Math.min(config.outputTokens ?? 8 + (hash(prompt) % 56), given.maxTokens ?? Infinity)
    const words = simulatedText(prompt, config.seed, outputTokens)
    const json = given.output === 'json' || typeof given.output === 'object'

    if (attempt <= config.failAttempts) {
      throw new AttemptError(config.failCategory, `simulated ${config.failCategory} on attempt ${attempt} of the first ${config.failAttempts}`)
    }
    if (fault === 'rateLimit') throw new AttemptError('RATE_LIMIT', 'simulated 429 Too Many Requests', { retryAfterMs: config.retryAfterMs })
    if (fault === 'unavailable') throw new AttemptError('SERVICE_UNAVAILABLE', 'simulated 503 Service Unavailable')
    if (fault === 'auth') throw new AttemptError('AUTH', 'simulated 401 Unauthorized: the API key was refused')
    if (fault === 'reset') {
      await wait(latencyMs / 2, signal)
      throw new AttemptError('NETWORK', 'simulated ECONNRESET: the connection was reset mid-response')
    }
    if (fault === 'timeout') {
      // A provider that never answers: the attempt's own time limit (or a cancel) ends it.
      await new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new AttemptError('CANCELLED', 'the attempt was cancelled')), { once: true }),
      )
    }

    const steps = latencyMs > 0 ? Math.max(1, Math.min(MAX_STEPS, outputTokens)) : 0
    const firstTokenMs = Math.min(latencyMs, config.firstTokenMs ?? (steps ? latencyMs / steps : 0))
    if (steps > 0) {
      // Each token is due at a time fixed from the start, as a provider's clock runs whatever our loop does:
      // waits of one step each would add the thread's timer lag at every step (2 s for 0.5 s with 1,024 at once).
      const begun = performance.now()
      const until = (ms: number) => wait(Math.max(0, begun + ms - performance.now()), signal)
      await until(firstTokenMs)
      onProgress(Math.round(outputTokens / steps), 1 / steps)
      for (let step = 2; step <= steps; step++) {
        await until(firstTokenMs + ((latencyMs - firstTokenMs) * (step - 1)) / (steps - 1))
        onProgress(Math.round((outputTokens * step) / steps), step / steps)
      }
    }
    const text = fault === 'invalidOutput' ? `{"text": "${words}` : json ? JSON.stringify({ text: words }) : words
    // Configured cache classes are taken out of the prompt's tokens, as a provider reports them.
    const promptTokens = Math.ceil(prompt.length / 4)
    const cachedInputTokens = Math.min(given.cachedInputTokens ?? 0, promptTokens)
    const cacheWriteTokens = Math.min(given.cacheWriteTokens ?? 0, promptTokens - cachedInputTokens)
    return { text, inputTokens: promptTokens - cachedInputTokens - cacheWriteTokens, outputTokens, ...cacheClasses(cachedInputTokens, cacheWriteTokens) }
  },
}
