/**
 * The built-in simulator: deterministic text derived from the prompt (and an optional
 * seed), with a configurable latency spread over its tokens so progress streams like a
 * real provider's. Needs no network and no model: demos, tests and load drills run on it.
 * Scripted failures (`failAttempts`, `failCategory`) let tests and drills walk the retry
 * and dead-letter paths; rates and latency distributions come with the generation issue.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { AttemptError, isErrorCategory } from '../../shared/errors'
import type { Generation, GenerationHooks, GenerationRequest, Provider } from './provider'

const WORDS = (
  'the a queue job model token prompt answer batch quiet river light stone early bright small ' +
  'lantern garden morning signal harbor thread careful steady window paper north field'
).split(' ')

/** Latency is spread over at most this many steps, so long latencies do not mean many timers. */
const MAX_STEPS = 20

function numberParam(config: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const value = config[name]
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new AttemptError('VALIDATION', `sim: config.${name} must be a number from 0 to ${max}`)
  }
  return value
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

export const sim: Provider = {
  label: 'Simulator',
  async generate({ prompt, attempt, config }: GenerationRequest, { signal, onProgress }: GenerationHooks): Promise<Generation> {
    const latencyMs = numberParam(config, 'latencyMs', 0, 600_000)
    const failAttempts = numberParam(config, 'failAttempts', 0, 1000)
    const failCategory = config.failCategory ?? 'SERVICE_UNAVAILABLE'
    if (!isErrorCategory(failCategory)) throw new AttemptError('VALIDATION', `sim: config.failCategory "${String(failCategory)}" is not an error category`)
    const seed = numberParam(config, 'seed', 0, 2 ** 31)
    const outputTokens = Math.round(numberParam(config, 'outputTokens', 8 + (hash(prompt) % 56), 100_000))
    const text = simulatedText(prompt, seed, outputTokens)
    if (latencyMs > 0) {
      const steps = Math.max(1, Math.min(MAX_STEPS, outputTokens))
      for (let step = 1; step <= steps; step++) {
        try {
          await sleep(latencyMs / steps, undefined, { signal })
        } catch {
          throw new AttemptError('CANCELLED', 'the attempt was cancelled')
        }
        onProgress(Math.round((outputTokens * step) / steps), step / steps)
      }
    }
    if (attempt <= failAttempts) throw new AttemptError(failCategory, `simulated ${failCategory} on attempt ${attempt} of the first ${failAttempts}`)
    return { text, inputTokens: Math.ceil(prompt.length / 4), outputTokens }
  },
}
