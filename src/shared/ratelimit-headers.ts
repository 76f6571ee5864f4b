/**
 * What a provider says is left of its rate limits, read from its response headers:
 * OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (reset a duration such
 * as `6m0s`, `20ms`, `1.5s`) and Anthropic's `anthropic-ratelimit-{requests,tokens,
 * input-tokens,output-tokens}-{limit,remaining,reset}` (reset an RFC 3339 time). Pure: the
 * workers parse, the scheduler's gates (resilience/provider-quota) spend what remains.
 */
import { z } from 'zod'

/** One budget as the provider counts it: `remaining` of `limit` until `resetAt` (ms since the epoch). */
export const QuotaBudget = z.object({ limit: z.number().nonnegative(), remaining: z.number().nonnegative(), resetAt: z.number() })
export type QuotaBudget = z.infer<typeof QuotaBudget>

/**
 * What one response said. Only the budgets the provider sent are present. A schema, not only
 * a type: readings are kept in the store (resilience state shared by every process) and
 * checked when read back.
 */
export const QuotaReading = z.object({
  /** When the headers were read (ms since the epoch): OpenAI's resets count from here. */
  at: z.number(),
  /**
   * When the request that brought them was sent. The provider answered after it arrived, so
   * every request of ours whose own answer was read before this time is counted in it.
   */
  sentAt: z.number(),
  requests: QuotaBudget.optional(),
  tokens: QuotaBudget.optional(),
  /** Anthropic's separate input and output budgets. */
  inputTokens: QuotaBudget.optional(),
  outputTokens: QuotaBudget.optional(),
})
export type QuotaReading = z.infer<typeof QuotaReading>

/** Anything with a `get(name)`: the Fetch API's Headers, as both SDKs give them. */
export interface HeaderSource {
  get(name: string): string | null
}

const UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 }

/**
 * A Go-style duration as OpenAI writes it (`6m0s`, `1h2m3.5s`, `20ms`, `0s`) in ms; a bare
 * number is taken as seconds, as some compatible servers send. Undefined when unreadable.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim()
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(value)) return undefined
  let ms = 0
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) ms += Number(amount) * UNITS_MS[unit!]!
  return ms
}

const count = (text: string | null): number | undefined => {
  const value = text?.trim()
  return value && /^\d+$/.test(value) ? Number(value) : undefined
}

function budget(limit: string | null, remaining: string | null, resetAt: number | undefined): QuotaBudget | undefined {
  const l = count(limit)
  const r = count(remaining)
  if (l === undefined || r === undefined || resetAt === undefined || !Number.isFinite(resetAt)) return undefined
  return { limit: l, remaining: Math.min(r, l), resetAt }
}

function reading(at: number, sentAt: number, budgets: Omit<QuotaReading, 'at' | 'sentAt'>): QuotaReading | undefined {
  const present = Object.entries(budgets).filter(([, value]) => value !== undefined)
  return present.length === 0 ? undefined : { at, sentAt: Math.min(sentAt, at), ...Object.fromEntries(present) }
}

/** OpenAI's (and compatible servers') headers; undefined when the response carried none. */
export function readOpenAIQuota(headers: HeaderSource, now: number, sentAt = now): QuotaReading | undefined {
  const of = (kind: 'requests' | 'tokens') => {
    const reset = headers.get(`x-ratelimit-reset-${kind}`)
    const ms = reset === null ? undefined : parseDuration(reset)
    return budget(headers.get(`x-ratelimit-limit-${kind}`), headers.get(`x-ratelimit-remaining-${kind}`), ms === undefined ? undefined : now + Math.ceil(ms))
  }
  return reading(now, sentAt, { requests: of('requests'), tokens: of('tokens') })
}

/** Anthropic's headers; undefined when the response carried none. */
export function readAnthropicQuota(headers: HeaderSource, now: number, sentAt = now): QuotaReading | undefined {
  const of = (kind: 'requests' | 'tokens' | 'input-tokens' | 'output-tokens') => {
    const reset = headers.get(`anthropic-ratelimit-${kind}-reset`)
    const at = reset === null ? undefined : Date.parse(reset.trim())
    return budget(headers.get(`anthropic-ratelimit-${kind}-limit`), headers.get(`anthropic-ratelimit-${kind}-remaining`), Number.isNaN(at) ? undefined : at)
  }
  return reading(now, sentAt, { requests: of('requests'), tokens: of('tokens'), inputTokens: of('input-tokens'), outputTokens: of('output-tokens') })
}
