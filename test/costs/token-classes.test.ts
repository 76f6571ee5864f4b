/**
 * Token classes: each class priced at its own rate, on either lane, from the list or an
 * override; pricing.json's class figures keep to the ratios its note states; and migration
 * 0025, from a fresh database and from the schema before it with rows in it.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { costReport } from '../../src/main/store/sqlite/costs/report'
import { classPrices, loadPriceList, PriceBook } from '../../src/main/costs/pricing'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { exportPage } from '../../src/main/store/sqlite/batches/job-rows'
import type { Price } from '../../src/shared/costs'
import { anthropicUsage, openaiUsage } from '../../src/shared/tokens'
import { tempDir } from '../support/temp'

const HOUR = 3_600_000
const listed = (price: Omit<Price, 'source' | 'asOf'>): Price => ({ ...price, asOf: '2025-01-01', source: 'list' })

describe('pricing by token class', () => {
  const book = new PriceBook(loadPriceList())
  const gpt4o = { provider: 'openai', kind: 'openai', model: 'gpt-4o' }
  const sonnet = { provider: 'claude', kind: 'anthropic', model: 'claude-sonnet-4-20250514' }

  it('prices OpenAI cached input at its listed rate: prompt_tokens includes the cached ones, so they are taken out of plain input', () => {
    const usage = openaiUsage({ prompt_tokens: 1200, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1024 } })
    expect(usage).toEqual({ inputTokens: 176, outputTokens: 300, cachedInputTokens: 1024 })
    // gpt-4o: $2.50 input, $1.25 cached input, $10 output per million.
    expect(book.cost(gpt4o, usage)).toBeCloseTo((176 * 2.5 + 1024 * 1.25 + 300 * 10) / 1e6, 15)
    expect(openaiUsage({ prompt_tokens: 10, completion_tokens: 2 })).toEqual({ inputTokens: 10, outputTokens: 2 })
  })

  it('prices Anthropic cache reads at 0.1x and cache writes at 1.25x input; input_tokens already leaves them out', () => {
    const usage = anthropicUsage({ input_tokens: 20, output_tokens: 100, cache_read_input_tokens: 4000, cache_creation_input_tokens: 1500 })
    expect(usage).toEqual({ inputTokens: 20, outputTokens: 100, cachedInputTokens: 4000, cacheWriteTokens: 1500 })
    // claude-sonnet-4 (the dated snapshot takes its model's line): $3 input, $0.30 read, $3.75 write, $15 output.
    expect(book.cost(sonnet, usage)).toBeCloseTo((20 * 3 + 4000 * 0.3 + 1500 * 3.75 + 100 * 15) / 1e6, 15)
  })

  it('on the batch lane: the line’s batch price of a class where it has one, else half of each class for openai and anthropic', () => {
    const usage = { inputTokens: 100, outputTokens: 10, cachedInputTokens: 1000, cacheWriteTokens: 50 }
    expect(book.cost(sonnet, usage, { lane: 'batch' })).toBeCloseTo((100 * 1.5 + 1000 * 0.15 + 50 * 1.875 + 10 * 7.5) / 1e6, 15)
    expect(book.cost(sonnet, usage, { lane: 'batch' })! * 2).toBeCloseTo(book.cost(sonnet, usage)!, 15)
    const own = listed({
      provider: 'openai',
      model: 'gpt-own',
      inputPerMillion: 2,
      outputPerMillion: 8,
      cachedInputPerMillion: 0.5,
      batch: { inputPerMillion: 0.9, outputPerMillion: 4.2 },
    })
    // Listed batch input and output; cached input has no batch figure, so half of its standard $0.50.
    expect(classPrices(own, 'openai', 'batch')).toEqual({ input: 0.9, cached_input: 0.25, cache_write: 1, output: 4.2 })
    expect(classPrices(own, 'openai', 'realtime')).toEqual({ input: 2, cached_input: 0.5, cache_write: 2, output: 8 })
    // A kind with no batch API keeps its price: there is no published discount to apply.
    expect(classPrices({ ...own, batch: undefined }, 'sim', 'batch')).toEqual(classPrices({ ...own, batch: undefined }, 'sim', 'realtime'))
  })

  it('prices a class an override does not name as plain input, and keeps costOf for plain input and output', () => {
    const withOverride = new PriceBook(loadPriceList(), [
      { provider: 'anthropic', model: 'claude-x', inputPerMillion: 4, outputPerMillion: 20, asOf: '2026-01-01', source: 'override' },
    ])
    const attempt = { provider: 'anthropic', kind: 'anthropic', model: 'claude-x' }
    expect(withOverride.cost(attempt, { inputTokens: 1, outputTokens: 1, cachedInputTokens: 1, cacheWriteTokens: 1 })).toBeCloseTo((4 * 3 + 20) / 1e6, 15)
    expect(withOverride.costOf(attempt, 10, 5)).toBeCloseTo((10 * 4 + 5 * 20) / 1e6, 15)
    // Cached tokens alone are tokens used: an unpriced model's cost is unknown, not zero.
    expect(withOverride.cost({ ...attempt, model: 'claude-unknown' }, { inputTokens: 0, outputTokens: 0, cachedInputTokens: 5 })).toBeNull()
    expect(withOverride.cost({ provider: 'sim', kind: 'sim', model: null }, { inputTokens: 0, outputTokens: 3, cachedInputTokens: 5 })).toBe(0)
  })

  it('keeps pricing.json to its note: Anthropic cache figures are the published ratios, OpenAI cached input below input', () => {
    const prices = loadPriceList()
    for (const price of prices.filter((p) => p.provider === 'anthropic')) {
      expect(price.cachedInputPerMillion, price.model).toBeCloseTo(price.inputPerMillion * 0.1, 12)
      expect(price.cacheWritePerMillion, price.model).toBeCloseTo(price.inputPerMillion * 1.25, 12)
    }
    for (const price of prices.filter((p) => p.provider === 'openai')) {
      expect(price.cacheWritePerMillion, price.model).toBeUndefined()
      if (price.cachedInputPerMillion !== undefined) expect(price.cachedInputPerMillion, price.model).toBeLessThan(price.inputPerMillion)
    }
    expect(prices.some((price) => price.batch !== undefined)).toBe(false)
  })

  it('refuses a misspelt class in a price list, naming it, rather than charge it as plain input', () => {
    const file = join(tempDir(), 'pricing.json')
    const line = { provider: 'openai', model: 'x', inputPerMillion: 1, outputPerMillion: 2, asOf: '2025-01-01' }
    writeFileSync(file, JSON.stringify({ prices: [{ ...line, cachedInputPerMilion: 0.5 }] }))
    expect(() => loadPriceList(file)).toThrow(`${file}: prices.0: Unrecognized key: "cachedInputPerMilion"`)
    writeFileSync(file, JSON.stringify({ prices: [{ ...line, batch: { inputPerMillion: 0.5 } }] }))
    expect(() => loadPriceList(file)).toThrow(/prices\.0\.batch\.outputPerMillion/)
  })
})

describe('migration 0025_token_classes', () => {
  const all = loadMigrations()
  const at = all.findIndex((m) => m.name === 'token_classes')
  const columns = (db: Sqlite.Database, table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name)

  it('adds the classes to attempts, rollups, tag rollups, batches and the response cache of a fresh database', () => {
    expect(all[at]!.version).toBe(25)
    const db = new Sqlite(':memory:')
    migrate(db, all)
    for (const table of ['job_attempts', 'usage_rollups', 'tag_rollups', 'batches', 'response_cache']) {
      expect(columns(db, table), table).toEqual(expect.arrayContaining(['cached_input_tokens', 'cache_write_tokens']))
    }
    db.close()
  })

  it('reads the rows of an older database as plain input: 0 cached, 0 written, in reports and exports alike', () => {
    const db = new Sqlite(':memory:')
    migrate(db, all.slice(0, at))
    const now = Date.parse('2026-12-01T10:30:00Z')
    const bucket = now - (now % HOUR)
    db.prepare(
      `INSERT INTO batches (id, name, created_at, job_count, attempts, input_tokens, output_tokens, cost_usd, settled_at) VALUES (1, 'old', ?, 1, 1, 40, 9, 0.5, ?)`,
    ).run(now - 1000, now)
    db.prepare(
      `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, batch_id, provider, model, prompt, max_attempts) VALUES (1, 'completed', 1, 0, 0, 0, 1, 'openai', 'gpt-4o', 'p', 3)`,
    ).run()
    db.prepare(
      `INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome, input_tokens, output_tokens, cost_usd) VALUES (1, 1, 0, ?, 'ok', 40, 9, 0.5)`,
    ).run(now)
    db.prepare(
      `INSERT INTO usage_rollups (resolution, bucket, provider, provider_kind, model, attempts, completed, input_tokens, output_tokens, cost_usd) VALUES (?, ?, 'openai', 'openai', 'gpt-4o', 1, 1, 40, 9, 0.5)`,
    ).run(HOUR, bucket)
    db.prepare(
      `INSERT INTO usage_rollups (resolution, bucket, provider, provider_kind, model, attempts, completed, input_tokens, output_tokens, cost_usd) VALUES (?, ?, '', '', '', 1, 1, 40, 9, 0.5)`,
    ).run(HOUR, bucket)
    db.prepare(
      `INSERT INTO response_cache (key, provider_kind, model, output, input_tokens, output_tokens, cost_usd, created_at, bytes) VALUES ('k', 'openai', 'gpt-4o', 'x', 40, 9, 0.5, 0, 1)`,
    ).run()

    migrate(db, all)
    expect(db.prepare('SELECT input_tokens, cached_input_tokens, cache_write_tokens FROM job_attempts').get()).toEqual({
      input_tokens: 40,
      cached_input_tokens: 0,
      cache_write_tokens: 0,
    })
    expect(db.prepare('SELECT cached_input_tokens, cache_write_tokens FROM response_cache').get()).toEqual({ cached_input_tokens: 0, cache_write_tokens: 0 })
    const classes = { inputTokens: 40, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 9 }
    const byModel = costReport(db, { by: 'model', since: now - HOUR, until: now + HOUR }, now)
    expect(byModel.rows).toEqual([expect.objectContaining({ key: 'openai/gpt-4o', ...classes })])
    expect(byModel.total).toMatchObject(classes)
    expect(costReport(db, { by: 'batch', since: now - HOUR, until: now + HOUR }, now).rows).toEqual([expect.objectContaining({ key: '1', ...classes })])
    expect(exportPage(db, 1, 0, 10)).toEqual([expect.objectContaining({ inputTokens: 40, cachedInputTokens: 0, cacheWriteTokens: 0 })])
    db.close()
  })
})
