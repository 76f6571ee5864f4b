/**
 * Limits learned from the provider, end to end: the real engine and pool against the quota
 * server (a real OpenAI-compatible server on loopback that enforces requests and tokens per
 * window, a minute compressed into one second). The gates spend what its headers say
 * remains, so a batch uses the quota without running into it.
 */
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { BreakerBoard, DEFAULT_BREAKER } from '../../src/main/resilience/breakers'
import { Gates } from '../../src/main/resilience/gates'
import type { ClaimedJob } from '../../src/main/queue/store'
import type { QuotaReading } from '../../src/shared/ratelimit-headers'
import { job, T0, tempStore } from '../support/queue'
import { startFakeQuotaOpenAI, type FakeQuotaOpenAI } from '../support/fake-quota-openai'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

let fake: FakeQuotaOpenAI | undefined
let engine: Engine | undefined
afterEach(async () => {
  await engine?.close(2000)
  await fake?.close()
  engine = fake = undefined
})

/** Runs `jobs` jobs of profile "quota" through the engine until none is left to run; returns attempts by outcome and category. */
async function drain(server: FakeQuotaOpenAI, jobs: number) {
  const dir = tempDir()
  engine = await createEngine({ dataDir: dir, threads: 1, concurrency: 16, pollMs: 50, artifacts: false })
  await engine.call('saveProvider', { name: 'quota', provider: 'openai', baseUrl: server.url, model: 'gpt-test' })
  await engine.call('enqueueJobs', {
    jobs: Array.from({ length: jobs }, (_, i) => ({ prompt: `quota job ${i}` })),
    defaults: { provider: 'quota', config: { maxTokens: 16 }, attempts: 5 },
  })
  const { counts } = await waitFor(
    () => engine!.call('queueStats', {}),
    ({ counts }) => counts.queued + counts.delayed + counts.active === 0,
    { what: 'the batch to drain', timeoutMs: 120_000 },
  )
  await engine.idle()
  const db = new Sqlite(databaseFile(dir), { readonly: true })
  try {
    const attempts = db.prepare('SELECT count(*) FROM job_attempts').pluck().get() as number
    const rateLimited = db.prepare(`SELECT count(*) FROM job_attempts WHERE error_category = 'RATE_LIMIT'`).pluck().get() as number
    return { counts, attempts, rateLimited }
  } finally {
    db.close()
  }
}

describe('limits learned from the provider', () => {
  it('spends a requests-per-window quota without running into it: 429s under 1% of attempts, every job completed', async () => {
    fake = await startFakeQuotaOpenAI({ requestsPerWindow: 40, tokensPerWindow: 1_000_000, windowMs: 1000, chunkDelayMs: 5 })
    const { counts, attempts, rateLimited } = await drain(fake, 300)
    expect(counts.completed).toBe(300)
    expect(counts.dead).toBe(0)
    expect(rateLimited).toBe(fake.stats.rateLimited)
    expect(rateLimited * 100).toBeLessThan(attempts)
    // The limit was in force: no window held more than it, so the batch took at least this many windows.
    expect(Math.max(...fake.usage().map((window) => window.requests))).toBeLessThanOrEqual(40)
    expect(fake.usage().length).toBeGreaterThanOrEqual(Math.ceil(300 / 40))
  }, 150_000)

  it('spends a tokens-per-window quota the same way, estimating each request before it goes', async () => {
    // "quota job N" is 3 or 4 tokens by the server's count, plus max_tokens 16: about 25 requests a window.
    fake = await startFakeQuotaOpenAI({ requestsPerWindow: 10_000, tokensPerWindow: 500, windowMs: 1000, chunkDelayMs: 5 })
    const { counts, attempts, rateLimited } = await drain(fake, 200)
    expect(counts.completed).toBe(200)
    expect(rateLimited * 100).toBeLessThan(attempts)
    expect(fake.usage().length).toBeGreaterThanOrEqual(Math.ceil((200 * 19) / 500))
  }, 150_000)
})

describe('the gates and a provider that says what remains', () => {
  it('claims no more than remains, holds the track with the reason, and claims again once the window resets', () => {
    const store = tempStore()
    store.enqueue(
      Array.from({ length: 10 }, (_, i) => job(`q ${i}`, { provider: 'gw', runAt: T0 })),
      'b',
      T0,
    )
    const gates = new Gates(new BreakerBoard(DEFAULT_BREAKER, () => {}))
    gates.setProfiles(new Map([['gw', { name: 'gw', provider: 'openai', model: 'gpt-test' }]]))
    const claim = (now: number) =>
      store.claim({
        owner: 'me',
        limit: 10,
        now,
        leaseMs: 60_000,
        gate: gates.holdingAny(now) ? (facts) => gates.forClaim(facts, now) : undefined,
        starts: gates.counting,
      }).jobs
    // Nothing learned yet: the plain claim, bounded only by its limit, still counts every start.
    expect(gates.holdingAny(T0)).toBe(false)
    const [first, second] = claim(T0)
    store.enqueue(
      Array.from({ length: 10 }, (_, i) => job(`r ${i}`, { provider: 'gw', runAt: T0 })),
      'c',
      T0,
    )
    const budget = (remaining: number) => ({ limit: 12, remaining, resetAt: T0 + 60_000 })
    const ok = { ok: true, output: 'x', artifact: null, inputTokens: 1, outputTokens: 1, firstTokenMs: 1, durationMs: 1 } as const
    const answer = (claimed: ClaimedJob, reading: QuotaReading, at: number) => {
      gates.finished('gw', { ...ok, quota: reading }, at)
      store.settle([{ id: claimed.id, outcome: 'ok', endedAt: at, output: 'x', inputTokens: 1, outputTokens: 1, start: { id: claimed.startId!, answeredAt: at, tokens: 2, reading } }], 'me')
    }
    // The first answer says 5 of 12 remain; the other 9 of the first claim may not be in it.
    answer(first!, { at: T0 + 10, sentAt: T0 + 5, requests: budget(5) }, T0 + 20)
    expect(gates.holdingAny(T0 + 20)).toBe(true)
    expect(claim(T0 + 20)).toHaveLength(0)
    expect(gates.heldReason({ provider: 'gw', model: null }, T0 + 20)).toMatch(/^held: gw says its requests are used up \(limit 12\)/)
    // A later answer, whose request went after the others were answered, says 2 remain.
    answer(second!, { at: T0 + 40, sentAt: T0 + 30, requests: budget(2) }, T0 + 40)
    expect(claim(T0 + 41)).toHaveLength(0)
    // (8 still run.) Once the window resets the whole 12 is back, less what still runs.
    expect(claim(T0 + 60_000)).toHaveLength(12 - 8)
    expect(gates.heldReason({ provider: 'gw', model: null }, T0 + 60_000)).toMatch(/requests are used up/)
  })
})
