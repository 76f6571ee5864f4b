/**
 * The estimate before launch on a real SQLite file: input counted by the model's own
 * tokenizer (or estimated, and said so), the cached share found from cache rows a real
 * settle wrote, the batch lane at half price, the output expected from the rollups'
 * history, the time the profile's limits make it take, and a budget it would cross, named.
 */
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base'
import { describe, expect, it } from 'vitest'
import { cacheKey } from '../../src/main/cache/key'
import { KEPT_KEYS } from '../../src/main/store/sqlite/cache'
import { DEFAULT_OUTPUT_TOKENS, estimateJobs } from '../../src/main/costs/estimate'
import { estimateHandlers } from '../../src/main/costs/estimate-operations'
import { loadPriceList, PriceBook } from '../../src/main/costs/pricing'
import { RECENT_OUTPUT } from '../../src/main/store/sqlite/costs/recent-output'
import { resolveProvider } from '../../src/main/queue/profiles'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import type { NewJob } from '../../src/main/queue/store'
import type { ProviderProfile } from '../../src/shared/providers'
import { job, T0, tempStore } from '../support/queue'

const prices = new PriceBook(loadPriceList())
const WORK: ProviderProfile = { name: 'work', provider: 'openai', model: 'gpt-4o-mini' }
/** gpt-4o-mini's list price, USD per million tokens (resources/pricing.json). */
const MINI = { input: 0.15, output: 0.6 }

function storeWith(...profiles: ProviderProfile[]): SqliteQueueStore {
  const store = tempStore()
  for (const profile of profiles) store.saveProfile(profile, T0)
  return store
}

/** Runs each job to completion as the scheduler would settle it: its answer kept in the cache, its usage in the rollups. */
function complete(store: SqliteQueueStore, jobs: NewJob[], { outputTokens = 7, at = T0 } = {}): void {
  const profiles = new Map(store.listProfiles().map((profile) => [profile.name, profile]))
  store.enqueue(
    jobs.map((newJob) => ({ ...newJob, runAt: at })),
    'earlier',
    at,
  )
  const { jobs: claimed } = store.claim({ owner: 'o', limit: jobs.length, now: at, leaseMs: 60_000 })
  store.settle(
    claimed.map((claimedJob) => {
      const resolved = resolveProvider(claimedJob, profiles)
      return {
        id: claimedJob.id,
        outcome: 'ok' as const,
        endedAt: at,
        output: 'an answer',
        inputTokens: 5,
        outputTokens,
        cost: { providerKind: resolved.provider, model: resolved.model, usd: 0.001 },
        cache: { key: cacheKey(resolved, claimedJob.prompt)!, made: true as const },
      }
    }),
    'o',
  )
}

const estimate = (store: SqliteQueueStore, jobs: NewJob[], lane: 'realtime' | 'batch' = 'realtime') => estimateJobs(jobs, store, prices, { lane, now: T0 })

describe('the estimate before launch', () => {
  it("counts an OpenAI model's input with the model's own tokenizer, as the prompt is sent (variables filled, system prompt beside it)", async () => {
    const store = storeWith(WORK)
    const jobs = [
      job('Describe {{city}} in one line.', { provider: 'work', config: { vars: { city: 'Lyon' }, system: 'You are terse.' } }),
      job('Say <|endoftext|> back to me, and nothing else.', { provider: 'work' }),
    ]
    const result = await estimate(store, jobs)
    const [group] = result.groups
    expect(group).toMatchObject({
      provider: 'work',
      kind: 'openai',
      model: 'gpt-4o-mini',
      jobs: 2,
      inputCounting: { method: 'tokenizer', encoding: 'o200k_base' },
    })
    const plain = { disallowedSpecial: new Set<string>() }
    expect(group!.inputTokens).toBe(
      o200k('Describe Lyon in one line.', plain) + o200k('You are terse.', plain) + o200k('Say <|endoftext|> back to me, and nothing else.', plain),
    )
    expect(result.notes.join('\n')).not.toContain('estimated at about 4 characters')
  })

  it('estimates an Anthropic model at about 4 characters a token, and says so', async () => {
    const store = storeWith()
    const prompt = 'x'.repeat(401)
    const result = await estimate(store, [job(prompt, { provider: 'anthropic', model: 'claude-sonnet-4', config: { maxTokens: 100 } })])
    expect(result.groups[0]).toMatchObject({ inputTokens: 101, inputCounting: { method: 'estimate' }, outputTokens: 100, outputBasis: 'maxTokens' })
    expect(result.notes).toContain('input tokens of anthropic/claude-sonnet-4 are estimated at about 4 characters a token: no local tokenizer fits')
  })

  it('prices the batch lane at half the real-time price where the provider has a batch API, and offers it nowhere else', async () => {
    const store = storeWith(WORK)
    const result = await estimate(store, [job('Name a river.', { provider: 'work', config: { maxTokens: 1000 } })], 'batch')
    const input = o200k('Name a river.')
    expect(result.realtimeUsd).toBeCloseTo((input * MINI.input + 1000 * MINI.output) / 1e6, 12)
    expect(result.batchUsd).toBeCloseTo(result.realtimeUsd! / 2, 12)
    expect(result).toMatchObject({ lane: 'batch', batchOffered: true })

    const onSim = await estimate(store, [job('Name a river.')])
    expect(onSim).toMatchObject({ batchOffered: false, batchUsd: null, realtimeUsd: 0 })
    expect(onSim.notes).toContain('the batch lane is for openai and anthropic: sim has no batch API')
  })

  it("counts the jobs the response cache would answer from the cache's own rows, and none that opt out", async () => {
    const store = storeWith(WORK)
    complete(store, [job('Name a river.', { provider: 'work' }), job('Name a lake.', { provider: 'work' })])
    const again = [job('Name a river.', { provider: 'work' }), job('Name a lake.', { provider: 'work' }), job('Name a sea.', { provider: 'work' })]
    const result = await estimate(store, again)
    expect(result).toMatchObject({ jobs: 3, cachedJobs: 2 })
    // Only the job the cache does not answer is paid for; the others' price is what the cache saves.
    const sea = (o200k('Name a sea.') * MINI.input + DEFAULT_OUTPUT_TOKENS * MINI.output) / 1e6
    expect(result.realtimeUsd).toBeCloseTo(sea, 12)
    expect(result.cachedUsd).toBeGreaterThan(0)

    const optedOut = await estimate(
      store,
      again.map((newJob) => ({ ...newJob, config: { cache: false } })),
    )
    expect(optedOut.cachedJobs).toBe(0)
    // Another model is another request: no entry answers it.
    expect((await estimate(store, [job('Name a river.', { provider: 'work', model: 'gpt-4o' })])).cachedJobs).toBe(0)
  })

  it('expects the recent mean output of the profile and model when it has history, and says which', async () => {
    const store = storeWith(WORK)
    const fresh = await estimate(store, [job('Write a limerick.', { provider: 'work' })])
    expect(fresh.groups[0]).toMatchObject({ outputTokens: DEFAULT_OUTPUT_TOKENS, outputBasis: 'default' })
    complete(
      store,
      Array.from({ length: 12 }, (_, i) => job(`earlier prompt ${i}`, { provider: 'work' })),
      { outputTokens: 90, at: T0 - 3_600_000 },
    )
    const later = await estimate(store, [job('Write a limerick.', { provider: 'work' })])
    expect(later.groups[0]).toMatchObject({ outputTokens: 90, outputBasis: 'history', outputWords: 'the mean of 12 completed attempts in the last 7 days' })
  })

  it("takes as long as the profile's per-minute limits allow, and says when none is set", async () => {
    const limited: ProviderProfile = { ...WORK, name: 'slow', limits: { requestsPerMinute: 60, maxConcurrent: 4 } }
    const store = storeWith(WORK, limited)
    const jobs = (provider: string) => Array.from({ length: 120 }, (_, i) => job(`prompt ${i}`, { provider, config: { maxTokens: 10 } }))
    const slow = await estimate(store, jobs('slow'))
    expect(slow.groups[0]).toMatchObject({ limitedMs: 120_000, limitWords: '60 requests a minute, 4 at once' })
    expect(slow.limitedMs).toBe(120_000)
    const free = await estimate(store, jobs('work'))
    expect(free).toMatchObject({ limitedMs: null, groups: [{ limitWords: 'no limit set' }] })
  })

  it('names a budget the estimate would cross, with what is left of it, and leaves the ones it would not', async () => {
    const store = storeWith(WORK)
    complete(store, [job('spent earlier', { provider: 'work' })])
    store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 0.002, action: 'pause' }, T0)
    store.costs.setBudget({ scope: 'provider', batchId: null, target: 'anthropic', unit: 'usd', limit: 0.000001, action: 'alert' }, T0)
    const jobs = Array.from({ length: 20 }, (_, i) => job(`Summarise report ${i}.`, { provider: 'work', config: { maxTokens: 500 } }))
    const result = await estimate(store, jobs)
    expect(result.budgets).toHaveLength(1)
    const [day] = result.budgets
    expect(day).toMatchObject({ name: 'the day budget', unit: 'usd', limit: 0.002, action: 'pause' })
    expect(day!.left).toBeCloseTo(0.001, 12)
    expect(day!.estimate).toBeCloseTo(result.realtimeUsd!, 12)
    expect(day!.message).toBe(`the day budget of $0.0020 has $0.0010 left; this estimate is $${result.realtimeUsd!.toPrecision(2)}`)
    // On the batch lane half of it fits what is left.
    const batch = await estimate(store, jobs.slice(0, 1), 'batch')
    expect(batch.budgets).toEqual([])
  })

  it('looks up every key of a file in one statement on the cache key, and reads the history from a range of the rollups', () => {
    const store = storeWith(WORK)
    complete(store, [job('Name a river.', { provider: 'work' })])
    store.db.exec('ANALYZE')
    const plan = (text: string, ...params: unknown[]) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as { detail: string }[]).map((row) => row.detail).join('\n')
    expect(plan(KEPT_KEYS, JSON.stringify(['a', 'b']))).toMatch(
      /SEARCH response_cache USING (COVERING )?INDEX \S+ \(key=\?\)|SEARCH response_cache USING PRIMARY KEY \(key=\?\)/,
    )
    expect(plan(RECENT_OUTPUT, { since: T0, provider: 'work', model: 'gpt-4o-mini' })).toMatch(
      /SEARCH usage_rollups USING PRIMARY KEY \(resolution=\? AND bucket>\?\)/,
    )
  })
})

describe('the estimate through the contract', () => {
  it('weighs jobs on the lane enqueue gives them: their own, else their profile default', async () => {
    const store = storeWith(WORK, { name: 'overnight', provider: 'openai', model: 'gpt-4o-mini', config: { lane: 'batch' } })
    const { estimateJobs: estimate } = estimateHandlers(store)
    const spec = (provider: string, config?: Record<string, unknown>) => ({ prompt: 'Say hello.', provider, maxTokens: 10, ...(config && { config }) })
    expect((await estimate({ jobs: [spec('overnight'), spec('overnight')] })).lane).toBe('batch')
    expect((await estimate({ jobs: [spec('overnight', { lane: 'realtime' })] })).lane).toBe('realtime')
    expect((await estimate({ jobs: [spec('work'), spec('overnight')] })).lane).toBe('realtime')
    expect((await estimate({ jobs: [spec('work', { lane: 'batch' })] })).lane).toBe('batch')
  })
})
