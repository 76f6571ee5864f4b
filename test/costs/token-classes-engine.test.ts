/**
 * Token classes end to end: a real engine and pool against the fake OpenAI server (reporting
 * cached tokens) and the fake Anthropic server (a profile that caches its system prompt).
 * Each attempt's cost is the hand-computed figure at the list's class prices; the rollups,
 * the report and its CSV, a batch's export rows and the metrics carry the classes; and a
 * sampled request (temperature 1, no seed) is answered from the response cache, which the
 * contract's cacheStats and the metrics count, its saving priced by class.
 */
import { parse } from 'csv-parse/sync'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { exportPage } from '../../src/main/store/sqlite/batches/job-rows'
import { costReportCsv } from '../../src/main/cli-costs'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { METRICS } from '../../src/shared/metrics'
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { parseSamples, total } from '../support/prometheus-text'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

let engine: Engine | null = null
let fakes: (FakeOpenAI | FakeAnthropic)[] = []
afterEach(async () => {
  await engine?.close(2000)
  engine = null
  await Promise.all(fakes.map((fake) => fake.close()))
  fakes = []
})

/** 11 tokens as the fakes count them (a word and its space each). */
const SYSTEM = 'You are a careful analyst of rivers and their long histories.'

async function run(jobs: { prompt: string; provider: string; config?: Record<string, unknown> }[], batchName: string): Promise<number[]> {
  const { jobIds } = await engine!.call('enqueueJobs', { jobs, batchName })
  await waitFor(
    () => engine!.call('queueStats', {}),
    (stats) => stats.counts.queued + stats.counts.active === 0,
    { what: `batch ${batchName} finished`, timeoutMs: 60_000 },
  )
  await engine!.idle()
  return jobIds
}

interface AttemptRow {
  job_id: number
  input_tokens: number
  cached_input_tokens: number
  cache_write_tokens: number
  output_tokens: number
  cost_usd: number
  cached: number
  saved_usd: number | null
}

describe('token classes in a running engine', () => {
  it('prices each class exactly, and carries the classes to rollups, reports, CSV, exports, metrics and the cache stats', async () => {
    const openaiFake = await startFakeOpenAI({ text: 'One two three four five.', cachedTokens: 3 })
    const anthropicFake = await startFakeAnthropic({ text: 'Just one answer.' })
    fakes.push(openaiFake, anthropicFake)
    const dataDir = tempDir()
    engine = await createEngine({ dataDir, threads: 1, pollMs: 20, artifacts: false, rollups: { sampleMs: 50, pruneMs: 60_000 } })
    await engine.call('saveProvider', { name: 'gateway', provider: 'openai', baseUrl: openaiFake.url, model: 'gpt-4o' })
    await engine.call('saveProvider', {
      name: 'claude',
      provider: 'anthropic',
      baseUrl: anthropicFake.url,
      model: 'claude-sonnet-4',
      config: { cacheSystemPrompt: true, system: SYSTEM },
    })

    // One at a time, so the first Anthropic request writes the cache and the second reads it.
    const [report] = await run([{ prompt: 'Summarise the quarterly report for the board please', provider: 'gateway' }], 'openai')
    const [writes] = await run([{ prompt: 'Name a river.', provider: 'claude' }], 'claude writes')
    const [reads] = await run([{ prompt: 'Name a lake.', provider: 'claude', config: { temperature: 1 } }], 'claude reads')
    // The same sampled request again: answered from the response cache, though nothing fixed its sample.
    const [hit] = await run([{ prompt: 'Name a lake.', provider: 'claude', config: { temperature: 1 } }], 'claude again')
    expect(anthropicFake.requests).toHaveLength(2)

    const db = new Sqlite(databaseFile(dataDir), { readonly: true })
    const attempts = new Map(
      (
        db
          .prepare('SELECT job_id, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, cost_usd, cached, saved_usd FROM job_attempts')
          .all() as AttemptRow[]
      ).map((row) => [row.job_id, row]),
    )
    const batchIds = db.prepare('SELECT id FROM batches ORDER BY id').pluck().all() as number[]
    const exported = [...exportPage(db, batchIds[1]!, 0, 10), ...exportPage(db, batchIds[2]!, 0, 10)]
    db.close()

    // gpt-4o: 8 prompt tokens of which 3 cached, 5 output; $2.50 input, $1.25 cached, $10 output per million.
    expect(attempts.get(report!)).toMatchObject({ input_tokens: 5, cached_input_tokens: 3, cache_write_tokens: 0, output_tokens: 5 })
    expect(attempts.get(report!)!.cost_usd).toBeCloseTo((5 * 2.5 + 3 * 1.25 + 5 * 10) / 1e6, 15)
    expect(attempts.get(report!)!.cost_usd).toBeCloseTo(0.00006625, 15)
    // claude-sonnet-4: $3 input, $0.30 cache read, $3.75 cache write, $15 output per million; 3 prompt, 11 system, 3 output tokens.
    expect(attempts.get(writes!)).toMatchObject({ input_tokens: 3, cached_input_tokens: 0, cache_write_tokens: 11, output_tokens: 3 })
    expect(attempts.get(writes!)!.cost_usd).toBeCloseTo(0.00009525, 15)
    expect(attempts.get(reads!)).toMatchObject({ input_tokens: 3, cached_input_tokens: 11, cache_write_tokens: 0, output_tokens: 3 })
    expect(attempts.get(reads!)!.cost_usd).toBeCloseTo(0.0000573, 15)
    expect(attempts.get(hit!)).toMatchObject({ cached: 1, cost_usd: 0, input_tokens: 0, cached_input_tokens: 0 })
    expect(attempts.get(hit!)!.saved_usd).toBeCloseTo(0.0000573, 15)
    expect((await engine.call('getJob', { id: reads! }))!.attempts[0]).toMatchObject({ inputTokens: 3, cachedInputTokens: 11, outputTokens: 3 })

    const byModel = await engine.call('costReport', { by: 'model' })
    expect(byModel.rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: 'anthropic/claude-sonnet-4',
          attempts: 3,
          inputTokens: 6,
          cachedInputTokens: 11,
          cacheWriteTokens: 11,
          outputTokens: 6,
        }),
        expect.objectContaining({ key: 'openai/gpt-4o', attempts: 1, inputTokens: 5, cachedInputTokens: 3, cacheWriteTokens: 0, outputTokens: 5 }),
      ]),
    )
    expect(byModel.total).toMatchObject({ inputTokens: 11, cachedInputTokens: 14, cacheWriteTokens: 11, outputTokens: 11 })
    expect(byModel.total.costUsd).toBeCloseTo(0.00006625 + 0.00009525 + 0.0000573, 15)
    const csv = parse(costReportCsv(byModel), { columns: true }) as Record<string, string>[]
    expect(csv.find((row) => row.model === 'anthropic/claude-sonnet-4')).toMatchObject({
      input_tokens: '6',
      output_tokens: '6',
      cached_input_tokens: '11',
      cache_write_tokens: '11',
      cost_usd: String(Math.round((0.00009525 + 0.0000573) * 1e6) / 1e6),
    })
    const byBatch = await engine.call('costReport', { by: 'batch' })
    expect(byBatch.rows.find((row) => row.label === 'claude writes')).toMatchObject({ inputTokens: 3, cachedInputTokens: 0, cacheWriteTokens: 11 })
    expect(byBatch.rows.find((row) => row.label === 'claude reads')).toMatchObject({ inputTokens: 3, cachedInputTokens: 11, cacheWriteTokens: 0 })
    expect(exported).toEqual([
      expect.objectContaining({ id: writes, cacheWriteTokens: 11, cachedInputTokens: 0 }),
      expect.objectContaining({ id: reads, cacheWriteTokens: 0, cachedInputTokens: 11 }),
    ])

    const stats = await engine.call('cacheStats', {})
    expect(stats).toMatchObject({ entries: 3, hits: 1 })
    expect(stats.savedUsd).toBeCloseTo(0.0000573, 15)

    const samples = parseSamples(await engine.metrics!.text())
    const claude = { provider: 'claude', model: 'claude-sonnet-4' }
    expect(total(samples, METRICS.tokens, { ...claude, direction: 'input' })).toBe(6)
    expect(total(samples, METRICS.tokens, { ...claude, direction: 'cached_input' })).toBe(11)
    expect(total(samples, METRICS.tokens, { ...claude, direction: 'cache_write' })).toBe(11)
    expect(total(samples, METRICS.tokens, { ...claude, direction: 'output' })).toBe(6)
    expect(total(samples, METRICS.tokens, { provider: 'gateway', direction: 'cached_input' })).toBe(3)
    expect(total(samples, METRICS.cacheHits)).toBe(1)
    expect(total(samples, METRICS.cacheEntries)).toBe(3)
    expect(total(samples, METRICS.cacheBytes)).toBe(stats.bytes)
    expect(total(samples, METRICS.cacheSaved)).toBeCloseTo(0.0000573, 12)

    // Cleared through the contract: the size goes, what the hits saved stays counted.
    expect(await engine.call('clearCache', {})).toEqual({ removed: 3, bytes: stats.bytes })
    const after = parseSamples(await engine.metrics!.text())
    expect(total(after, METRICS.cacheEntries)).toBe(0)
    expect(total(after, METRICS.cacheHits)).toBe(1)
  })
})
