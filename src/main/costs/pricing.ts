/**
 * Prices: the list shipped in resources/pricing.json, under the operator's overrides, turn
 * an attempt's tokens into USD. The simulator and local models cost nothing (their tokens
 * still count); a model with no price costs null, never a guess, and reports say so.
 * Prices are per provider kind and model; a profile (an Ollama server is an "openai"
 * profile) can have its own, so a local server's models can be set to cost nothing.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { Price } from '../../shared/costs'
import { describeZodError } from '../../shared/contract'
import type { Lane } from '../../shared/job-config'
import { allInputTokens, TOKEN_CLASSES, tokenClasses, type TokenClass, type TokenUsage } from '../../shared/tokens'

const here = dirname(fileURLToPath(import.meta.url))

/** From source, the repository's resources/; in a build, the copy beside the bundle (electron.vite.config.ts). */
export const PRICING_FILE = import.meta.url.endsWith('.ts') ? join(here, '../../../resources/pricing.json') : join(here, 'resources/pricing.json')

/** Provider kinds that run on this machine: no bill. */
export const FREE_KINDS: ReadonlySet<string> = new Set(['sim', 'local'])

/** A model name for every model of a provider that has no price of its own. */
export const ANY_MODEL = '*'

// Strict: a misspelt class (cachedInputPerMilion) is an error naming it, not a price silently charged as plain input.
const ListedPrice = Price.omit({ source: true }).strict()
const PriceList = z.object({ note: z.string().optional(), prices: z.array(ListedPrice) }).strict()

export class PricingError extends Error {
  override name = 'PricingError'
}

/** The list prices, validated; a damaged file is an error that names the file and the entry. */
export function loadPriceList(file = PRICING_FILE): Price[] {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new PricingError(`${file}: ${(error as Error).message}`)
  }
  const parsed = PriceList.safeParse(data)
  if (!parsed.success) throw new PricingError(`${file}: ${describeZodError(parsed.error)}`)
  const seen = new Set<string>()
  for (const price of parsed.data.prices) {
    const key = keyOf(price.provider, price.model)
    if (seen.has(key)) throw new PricingError(`${file}: ${price.provider} ${price.model} is listed twice`)
    seen.add(key)
  }
  return parsed.data.prices.map((price) => ({ ...price, source: 'list' as const }))
}

/** A dated snapshot or alias takes its model's price: gpt-4o-2024-08-06, claude-sonnet-4-20250514, claude-3-5-haiku-latest. */
export function baseModel(model: string): string {
  return model.replace(/-(\d{4}-\d\d-\d\d|\d{8}|latest)$/, '')
}

const keyOf = (provider: string, model: string) => `${provider}\u0000${model}`

/** What an attempt ran on, as prices see it. */
export interface PricedAttempt {
  /** The job's provider name: a profile's price comes before its kind's. */
  provider: string
  /** The provider kind it resolved to. */
  kind: string
  model: string | null
}

export class PriceBook {
  private readonly list: Map<string, Price>
  private overrides = new Map<string, Price>()

  constructor(list: readonly Price[], overrides: readonly Price[] = []) {
    this.list = new Map(list.map((price) => [keyOf(price.provider, price.model), price]))
    this.setOverrides(overrides)
  }

  setOverrides(overrides: readonly Price[]): void {
    this.overrides = new Map(overrides.map((price) => [keyOf(price.provider, price.model), price]))
  }

  /** Every price that applies somewhere: the overrides, then the list prices they do not replace. */
  all(): Price[] {
    const listed = [...this.list.values()].filter((price) => !this.overrides.has(keyOf(price.provider, price.model)))
    const order = (a: Price, b: Price) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model)
    return [...[...this.overrides.values()].sort(order), ...listed.sort(order)]
  }

  /**
   * The price an attempt pays, or null. In order: the profile's own override for the model,
   * then for any model; the kind's override, then its list price, for the model (exact,
   * then its base name); then the kind's override for any model.
   */
  priceOf({ provider, kind, model }: PricedAttempt): Price | null {
    const models = model === null ? [] : [...new Set([model, baseModel(model)])]
    const find = (map: Map<string, Price>, who: string, names: string[]) => {
      for (const name of names) {
        const price = map.get(keyOf(who, name))
        if (price) return price
      }
      return undefined
    }
    if (provider !== kind) {
      const own = find(this.overrides, provider, [...models, ANY_MODEL])
      if (own) return own
    }
    for (const name of models) {
      const price = this.overrides.get(keyOf(kind, name)) ?? this.list.get(keyOf(kind, name))
      if (price) return price
    }
    return this.overrides.get(keyOf(kind, ANY_MODEL)) ?? null
  }

  /**
   * USD for the tokens, each class at its own price on the lane it took (an unknown count
   * counts as none); null when tokens were used and nothing prices them. The simulator and
   * local models cost nothing unless an override prices them (a demo of budgets, say).
   */
  cost(attempt: PricedAttempt, usage: TokenUsage, { lane = 'realtime' }: CostOptions = {}): number | null {
    const tokens = tokenClasses(usage)
    const price = this.priceOf(attempt)
    if (!price) return FREE_KINDS.has(attempt.kind) || allInputTokens(usage) + tokens.output === 0 ? 0 : null
    const rates = classPrices(price, attempt.kind, lane)
    return TOKEN_CLASSES.reduce((sum, name) => sum + tokens[name] * rates[name], 0) / 1_000_000
  }

  /** USD for plain input and output tokens on the real-time lane: `cost` without the classes. */
  costOf(attempt: PricedAttempt, inputTokens: number | null, outputTokens: number | null): number | null {
    return this.cost(attempt, { inputTokens, outputTokens })
  }
}

/** How a job reached its provider, as prices see it. */
export interface CostOptions {
  lane?: Lane | undefined
}

/** Provider kinds whose batch API costs half of each standard price when the list gives no batch price (both publish 50 %). */
const HALF_PRICE_BATCH: ReadonlySet<string> = new Set(['openai', 'anthropic'])

/**
 * USD per million tokens of each class. A class the price does not name is priced as plain
 * input (never a guess below it); on the batch lane, the list's batch price of the class,
 * else half of the class's standard price for openai and anthropic.
 */
export function classPrices(price: Price, kind: string, lane: Lane): Record<TokenClass, number> {
  const standard: Record<TokenClass, number> = {
    input: price.inputPerMillion,
    cached_input: price.cachedInputPerMillion ?? price.inputPerMillion,
    cache_write: price.cacheWritePerMillion ?? price.inputPerMillion,
    output: price.outputPerMillion,
  }
  if (lane !== 'batch') return standard
  const half = HALF_PRICE_BATCH.has(kind) ? 0.5 : 1
  const batch = price.batch
  return {
    input: batch?.inputPerMillion ?? standard.input * half,
    cached_input: batch?.cachedInputPerMillion ?? standard.cached_input * half,
    cache_write: batch?.cacheWritePerMillion ?? standard.cache_write * half,
    output: batch?.outputPerMillion ?? standard.output * half,
  }
}
