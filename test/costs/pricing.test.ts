import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Price } from '../../src/shared/costs'
import { baseModel, loadPriceList, PriceBook, PRICING_FILE } from '../../src/main/costs/pricing'
import { tempDir } from '../support/temp'

const override = (provider: string, model: string, inputPerMillion: number, outputPerMillion: number): Price => ({
  provider,
  model,
  inputPerMillion,
  outputPerMillion,
  asOf: '2026-01-01',
  source: 'override',
})

describe('the price list', () => {
  it('ships prices for the well-known models, each dated', () => {
    const list = loadPriceList()
    expect(PRICING_FILE).toMatch(/resources[/\\]pricing\.json$/)
    const names = list.map((price) => `${price.provider}/${price.model}`)
    for (const model of ['openai/gpt-4o', 'openai/gpt-4o-mini', 'openai/gpt-4.1', 'openai/gpt-4.1-mini', 'openai/o4-mini']) expect(names).toContain(model)
    for (const model of ['anthropic/claude-sonnet-4', 'anthropic/claude-3-5-haiku', 'anthropic/claude-opus-4']) expect(names).toContain(model)
    for (const price of list) {
      expect(price.asOf).toMatch(/^20\d\d-\d\d-\d\d$/)
      expect(price.source).toBe('list')
    }
    expect(list.find((price) => price.model === 'gpt-4o')).toMatchObject({ inputPerMillion: 2.5, outputPerMillion: 10 })
  })

  it('refuses a damaged file, naming the file and the entry', () => {
    const file = join(tempDir(), 'pricing.json')
    writeFileSync(file, JSON.stringify({ prices: [{ provider: 'openai', model: 'x', inputPerMillion: -1, outputPerMillion: 1, asOf: '2025-01-01' }] }))
    expect(() => loadPriceList(file)).toThrow(/pricing\.json: prices\.0\.inputPerMillion/)
    writeFileSync(file, '{ not json')
    expect(() => loadPriceList(file)).toThrow(/pricing\.json: .*JSON/)
    const twice = { provider: 'openai', model: 'x', inputPerMillion: 1, outputPerMillion: 1, asOf: '2025-01-01' }
    writeFileSync(file, JSON.stringify({ prices: [twice, twice] }))
    expect(() => loadPriceList(file)).toThrow(/openai x is listed twice/)
  })
})

describe('pricing an attempt', () => {
  const book = new PriceBook(loadPriceList())

  it('turns tokens into USD at the list price, a dated snapshot at its model’s', () => {
    expect(book.costOf({ provider: 'openai', kind: 'openai', model: 'gpt-4o-mini' }, 1_000_000, 1_000_000)).toBeCloseTo(0.75)
    expect(book.costOf({ provider: 'openai', kind: 'openai', model: 'gpt-4o-2024-08-06' }, 1000, 500)).toBeCloseTo((1000 * 2.5 + 500 * 10) / 1e6)
    // A snapshot with a price of its own keeps it.
    expect(book.costOf({ provider: 'openai', kind: 'openai', model: 'gpt-4o-2024-05-13' }, 1_000_000, 0)).toBeCloseTo(5)
    expect(book.costOf({ provider: 'anthropic', kind: 'anthropic', model: 'claude-sonnet-4-20250514' }, 2000, 1000)).toBeCloseTo((2000 * 3 + 1000 * 15) / 1e6)
    expect(baseModel('claude-3-5-haiku-latest')).toBe('claude-3-5-haiku')
  })

  it('prices a profile by its kind and model; a profile’s own override wins, for one model or all', () => {
    const profiled = new PriceBook(loadPriceList(), [override('ollama', '*', 0, 0), override('team', 'gpt-4o', 1, 2)])
    expect(profiled.costOf({ provider: 'gateway', kind: 'openai', model: 'gpt-4o' }, 1e6, 0)).toBeCloseTo(2.5)
    expect(profiled.costOf({ provider: 'team', kind: 'openai', model: 'gpt-4o' }, 1e6, 1e6)).toBeCloseTo(3)
    expect(profiled.costOf({ provider: 'ollama', kind: 'openai', model: 'gpt-4o' }, 1e6, 1e6)).toBe(0)
    expect(profiled.costOf({ provider: 'ollama', kind: 'openai', model: 'llama3' }, 1e6, 1e6)).toBe(0)
  })

  it('an override of the kind replaces the list price; a kind-wide one prices its unlisted models', () => {
    const overridden = new PriceBook(loadPriceList(), [override('openai', 'gpt-4o', 5, 20), override('openai', '*', 1, 1)])
    expect(overridden.costOf({ provider: 'openai', kind: 'openai', model: 'gpt-4o' }, 1e6, 0)).toBeCloseTo(5)
    expect(overridden.costOf({ provider: 'openai', kind: 'openai', model: 'gpt-4o-mini' }, 1e6, 0)).toBeCloseTo(0.15)
    expect(overridden.costOf({ provider: 'openai', kind: 'openai', model: 'my-fine-tune' }, 1e6, 0)).toBeCloseTo(1)
    expect(
      overridden
        .all()
        .slice(0, 2)
        .map((price) => `${price.model}:${price.source}`),
    ).toEqual(['*:override', 'gpt-4o:override'])
    expect(overridden.all().filter((price) => price.model === 'gpt-4o')).toHaveLength(1)
  })

  it('costs the simulator and local models nothing unless an override prices them, and still counts their tokens elsewhere', () => {
    expect(book.costOf({ provider: 'sim', kind: 'sim', model: null }, 500, 500)).toBe(0)
    expect(book.costOf({ provider: 'local', kind: 'local', model: '/models/q4.gguf' }, 500, 500)).toBe(0)
    const demo = new PriceBook([], [override('metered', '*', 1000, 1000)])
    expect(demo.costOf({ provider: 'metered', kind: 'sim', model: null }, 500, 500)).toBeCloseTo(1)
  })

  it('leaves an unknown model’s cost null when it used tokens, and zero when it used none', () => {
    expect(book.priceOf({ provider: 'openai', kind: 'openai', model: 'gpt-unknown' })).toBeNull()
    expect(book.costOf({ provider: 'openai', kind: 'openai', model: 'gpt-unknown' }, 10, 5)).toBeNull()
    expect(book.costOf({ provider: 'openai', kind: 'openai', model: null }, 10, 5)).toBeNull()
    expect(book.costOf({ provider: 'openai', kind: 'openai', model: 'gpt-unknown' }, null, null)).toBe(0)
  })
})
