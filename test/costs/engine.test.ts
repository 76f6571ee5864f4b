/**
 * Costs end to end: a real engine, the real pool, the simulator (priced through a profile,
 * as a demo would) and the fake OpenAI server (priced by the list). The attempt log in
 * SQLite is the witness the rollups, reports, series and budgets are checked against.
 */
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/contract'
import { createEngine, type Engine, type EngineConfig } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
let fake: FakeOpenAI | null = null
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
  await fake?.close()
  fake = null
})

async function start(dataDir = tempDir(), overrides: Partial<EngineConfig> = {}): Promise<Engine> {
  const engine = await createEngine({
    dataDir,
    threads: 1,
    concurrency: 8,
    pollMs: 50,
    backoff: { baseMs: 10, maxMs: 50 },
    artifacts: false,
    rollups: { sampleMs: 50, pruneMs: 60_000 },
    ...overrides,
  })
  engines.push(engine)
  return engine
}

const finished = (engine: Engine, n: number) =>
  waitFor(
    () => engine.call('queueStats', {}),
    (s) => s.counts.completed + s.counts.dead + s.counts.cancelled >= n,
    { what: `${n} finished jobs`, timeoutMs: 60_000 },
  )

function readBack<T>(dataDir: string, read: (db: Sqlite.Database) => T): T {
  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}

/** A profile of the simulator with a price: the simulator costs nothing until an operator says otherwise. */
async function meteredProfile(engine: Engine, name: string, perMillion: number): Promise<void> {
  await engine.call('saveProvider', { name, provider: 'sim' })
  await engine.call('setPrice', { provider: name, model: '*', inputPerMillion: perMillion, outputPerMillion: 2 * perMillion })
}

describe('costs in a running engine', () => {
  it('prices each attempt as it settles; rollups, reports and series agree with the attempt log and outlive the jobs', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    await meteredProfile(engine, 'metered', 1000)
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 30 }, (_, i) => ({ prompt: `metered job ${i}`, tags: [i % 2 ? 'odd' : 'even'], config: i < 5 ? { failAttempts: 1 } : {} })),
      defaults: { provider: 'metered', attempts: 3 },
      batchName: 'metered',
    })
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 20 }, (_, i) => ({ prompt: `free job ${i}` })), batchName: 'free' })
    await finished(engine, 50)
    await engine.idle()

    const log = readBack(dataDir, (db) => ({
      attempts: db.prepare('SELECT provider, provider_kind, model, outcome, input_tokens, output_tokens, cost_usd, ended_at FROM job_attempts').all() as {
        provider: string
        provider_kind: string
        model: string | null
        outcome: string
        input_tokens: number | null
        output_tokens: number | null
        cost_usd: number | null
        ended_at: number
      }[],
      rollup: db
        .prepare(
          `SELECT sum(attempts) AS attempts, sum(completed) AS completed, sum(failed) + sum(dead) AS failed, sum(input_tokens) AS input,
            sum(output_tokens) AS output, sum(cost_usd) AS cost FROM usage_rollups WHERE resolution = 86400000 AND provider <> ''`,
        )
        .get() as { attempts: number; completed: number; failed: number; input: number; output: number; cost: number },
      batches: db.prepare('SELECT name, attempts, cost_usd FROM batches ORDER BY id').all(),
    }))
    // Every attempt carries what it ran on and its price: the profile's for the metered jobs, nothing for the simulator.
    const metered = log.attempts.filter((a) => a.provider === 'metered')
    expect(metered).toHaveLength(35)
    for (const a of metered) {
      expect(a.provider_kind).toBe('sim')
      expect(a.cost_usd).toBeCloseTo(((a.input_tokens ?? 0) * 1000 + (a.output_tokens ?? 0) * 2000) / 1e6, 12)
    }
    expect(metered.filter((a) => a.outcome === 'ok').every((a) => a.cost_usd! > 0)).toBe(true)
    expect(log.attempts.filter((a) => a.provider === 'sim').every((a) => a.cost_usd === 0 && a.output_tokens! > 0)).toBe(true)

    const sum = (pick: (a: (typeof log.attempts)[number]) => number | null) => log.attempts.reduce((total, a) => total + (pick(a) ?? 0), 0)
    const meteredCost = metered.reduce((total, a) => total + a.cost_usd!, 0)
    expect(log.rollup).toEqual({
      attempts: 55,
      completed: 50,
      failed: 5,
      input: sum((a) => a.input_tokens),
      output: sum((a) => a.output_tokens),
      cost: expect.closeTo(meteredCost, 9) as number,
    })
    expect(log.batches).toEqual([
      { name: 'metered', attempts: 35, cost_usd: expect.closeTo(meteredCost, 9) as number },
      { name: 'free', attempts: 20, cost_usd: 0 },
    ])

    const byProvider = await engine.call('costReport', { by: 'provider' })
    expect(byProvider.rows).toEqual([
      expect.objectContaining({ key: 'metered', label: 'sim', attempts: 35, costUsd: expect.closeTo(meteredCost, 9) as number, unpricedAttempts: 0 }),
      expect.objectContaining({ key: 'sim', label: 'sim', attempts: 20, costUsd: 0 }),
    ])
    const byTag = await engine.call('costReport', { by: 'tag' })
    expect(byTag.rows.map((row) => row.key).sort()).toEqual(['(no tag)', 'even', 'odd'])

    // Series of whole seconds: the rates over full buckets add back up to the counts.
    const lastEnd = Math.max(...log.attempts.map((a) => a.ended_at))
    await waitFor(
      () => Date.now(),
      (now) => now >= Math.ceil((lastEnd + 1) / 1000) * 1000,
      { what: 'the last attempt’s second to end' },
    )
    const span = { resolution: '1s' as const, since: Math.min(...log.attempts.map((a) => a.ended_at)), until: Math.ceil((lastEnd + 1) / 1000) * 1000 }
    const throughput = await engine.call('series', { metric: 'throughput', ...span })
    expect(Math.round(throughput.points.reduce((total, p) => total + p.completedPerSecond!, 0))).toBe(50)
    expect(Math.round(throughput.points.reduce((total, p) => total + p.failedPerSecond!, 0))).toBe(5)
    const tokens = await engine.call('series', { metric: 'tokens', ...span, provider: 'metered' })
    expect(Math.round(tokens.points.reduce((total, p) => total + p.outputPerSecond!, 0))).toBe(metered.reduce((total, a) => total + (a.output_tokens ?? 0), 0))
    const latency = await engine.call('series', { metric: 'latency', ...span })
    expect(latency.points.reduce((total, p) => total + p.completed!, 0)).toBe(50)
    const depth = await engine.call('series', { metric: 'depth', resolution: '1s' })
    expect(depth.points.length).toBeGreaterThan(0)

    // Retention removes the jobs and their attempts; what they cost stays.
    const { removed } = await engine.call('cleanQueue', { state: 'completed' })
    expect(removed).toBe(50)
    expect(readBack(dataDir, (db) => db.prepare('SELECT count(*) FROM job_attempts').pluck().get())).toBe(0)
    expect(await engine.call('costReport', { by: 'provider' })).toEqual({
      ...byProvider,
      since: expect.any(Number) as number,
      until: expect.any(Number) as number,
    })
    expect((await engine.call('series', { metric: 'throughput', ...span })).points).toEqual(throughput.points)
  })

  it('prices an OpenAI model by the list from the usage the server reports, and says when a model has no price', async () => {
    fake = await startFakeOpenAI({ text: 'One two three four five.' })
    const dataDir = tempDir()
    const engine = await start(dataDir)
    await engine.call('saveProvider', { name: 'gateway', provider: 'openai', baseUrl: fake.url, model: 'gpt-4o-mini' })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'count to five' }, { prompt: 'again', model: 'gpt-test' }], defaults: { provider: 'gateway' } })
    await finished(engine, 2)
    await engine.idle()

    const attempts = readBack(
      dataDir,
      (db) =>
        db.prepare('SELECT provider, provider_kind, model, input_tokens, output_tokens, cost_usd FROM job_attempts ORDER BY job_id').all() as {
          input_tokens: number
          output_tokens: number
          cost_usd: number | null
        }[],
    )
    expect(attempts).toEqual([
      { provider: 'gateway', provider_kind: 'openai', model: 'gpt-4o-mini', input_tokens: 3, output_tokens: 5, cost_usd: expect.any(Number) as number },
      { provider: 'gateway', provider_kind: 'openai', model: 'gpt-test', input_tokens: 1, output_tokens: 5, cost_usd: null },
    ])
    expect(attempts[0]!.cost_usd).toBeCloseTo((3 * 0.15 + 5 * 0.6) / 1e6, 15)

    const report = await engine.call('costReport', { by: 'model' })
    expect(report.rows).toEqual([
      expect.objectContaining({ key: 'openai/gpt-4o-mini', attempts: 1, costUsd: expect.closeTo(attempts[0]!.cost_usd!, 15) as number, unpricedAttempts: 0 }),
      expect.objectContaining({ key: 'openai/gpt-test', attempts: 1, inputTokens: 1, outputTokens: 5, costUsd: null, unpricedAttempts: 1 }),
    ])
    expect(report.notes.join('\n')).toMatch(
      /openai\/gpt-test: 1 attempt used tokens of a model with no price \(their tokens are counted, their cost left out\)/,
    )
    expect(report.notes.join('\n')).toMatch(/genops costs price set openai gpt-test/)
  })
})

describe('budgets in a running engine', () => {
  it('a batch budget that pauses is never crossed: claims reserve each estimate, its remaining jobs are held, another batch runs on', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    const notices: string[] = []
    engine.subscribe((event: EngineEvent) => event.type === 'notice' && notices.push(event.data.message))
    // 5,000 and 10,000 USD per million tokens: a job of two input and four output tokens costs 0.05 USD, its estimate too (maxTokens 4).
    await meteredProfile(engine, 'metered', 5000)
    await engine.call('pauseQueue', {})
    const config = { outputTokens: 4, maxTokens: 4, latencyMs: 20 }
    const budgeted = await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 40 }, (_, i) => ({ prompt: `job ${i}` })),
      defaults: { provider: 'metered', config },
      batchName: 'budgeted',
    })
    const other = await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 40 }, (_, i) => ({ prompt: `other ${i}` })),
      defaults: { provider: 'metered', config },
      batchName: 'other',
    })
    const budget = await engine.call('setBudget', { scope: 'batch', batchId: budgeted.batchId, limit: 0.52, action: 'pause' })
    expect(budget).toMatchObject({ scope: 'batch', batchId: budgeted.batchId, unit: 'usd', limit: 0.52, action: 'pause', crossedAt: null, spent: 0, reserved: 0 })
    await engine.call('resumeQueue', {})

    await waitFor(
      () => engine.call('listJobs', { batchId: other.batchId, state: 'completed', limit: 100 }),
      ({ jobs }) => jobs.length === 40,
      { what: 'the other batch to finish' },
    )
    await waitFor(
      () => notices,
      (all) => all.some((n) => n.startsWith(`batch ${budgeted.batchId}'s budget is reached`)),
      { what: 'the budget notice' },
    )
    await engine.idle()
    const { jobs: queued } = await engine.call('listJobs', { batchId: budgeted.batchId, state: 'queued', limit: 100 })
    // Ten fit in $0.52 with every attempt at once (128 slots): the reservations, not the settles, stopped the claim.
    expect(queued).toHaveLength(30)
    for (const job of queued) expect(job.held).toBe(`held: batch ${budgeted.batchId}'s budget of $0.52 is reached (spent and reserved by running attempts)`)
    const spent = readBack(dataDir, (db) => db.prepare('SELECT cost_usd FROM batches WHERE id = ?').pluck().get(budgeted.batchId) as number)
    expect(spent).toBeCloseTo(0.5, 9)
    expect(notices.filter((n) => n.includes('budget is reached'))).toHaveLength(1)
    expect((await engine.call('listBudgets', {})).budgets[0]).toMatchObject({ crossedAt: expect.any(Number) as number, reserved: 0 })

    // Raised, the rest runs.
    await engine.call('setBudget', { scope: 'batch', batchId: budgeted.batchId, limit: 5, action: 'pause' })
    await finished(engine, 80)
  })

  it('a token budget caps work that costs nothing (a local model, the simulator) per UTC day', async () => {
    const engine = await start()
    const notices: { level: string; message: string }[] = []
    engine.subscribe((event: EngineEvent) => event.type === 'notice' && notices.push(event.data))
    // "job N" is 2 tokens in, 4 out: 6 a job; 60 tokens is ten jobs.
    await engine.call('setBudget', { scope: 'day', unit: 'tokens', limit: 60, action: 'pause' })
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 30 }, (_, i) => ({ prompt: `job ${i}` })),
      defaults: { provider: 'sim', config: { outputTokens: 4, maxTokens: 4, latencyMs: 5 } },
    })
    await waitFor(
      () => notices,
      (all) => all.some((n) => n.message.startsWith('the day token budget is reached')),
      { what: 'the budget notice' },
    )
    await engine.idle()
    const { counts } = await engine.call('queueStats', {})
    expect(counts.completed).toBe(10)
    expect(counts.queued).toBe(20)
    expect(notices.find((n) => n.message.startsWith('the day token budget is reached'))).toMatchObject({ level: 'critical' })
    expect((await engine.call('listBudgets', {})).budgets[0]).toMatchObject({ unit: 'tokens', spent: 60 })
    // Removed, the queue runs on.
    await engine.call('removeBudget', { scope: 'day', unit: 'tokens' })
    await finished(engine, 30)
  })

  it("a job sent to a fallback is weighed against the fallback's budget, which it then never crosses", async () => {
    const engine = await start()
    await engine.call('saveProvider', { name: 'backup', provider: 'sim' })
    await engine.call('saveProvider', { name: 'primary', provider: 'sim', fallbacks: ['backup'] })
    await engine.call('pauseProvider', { provider: 'primary', reason: 'maintenance' })
    // 6 tokens a job as estimated and as run: 60 tokens on the backup is ten jobs.
    await engine.call('setBudget', { scope: 'profile', target: 'backup', unit: 'tokens', limit: 60, action: 'pause' })
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 30 }, (_, i) => ({ prompt: `job ${i}` })),
      defaults: { provider: 'primary', config: { outputTokens: 4, maxTokens: 4, latencyMs: 5 } },
    })
    await waitFor(
      () => engine.call('listBudgets', {}),
      ({ budgets }) => budgets[0]!.crossedAt !== null,
      { what: "the backup's budget to be reached" },
    )
    await engine.idle()
    expect((await engine.call('queueStats', {})).counts).toMatchObject({ completed: 10, queued: 20 })
    expect((await engine.call('listBudgets', {})).budgets[0]).toMatchObject({ target: 'backup', spent: 60 })
  })

  it("weighs a templated prompt as sent, its variables filled in, not as the template's few characters", async () => {
    const engine = await start()
    // "{{doc}}" with a 400-character doc is 100 tokens in, 4 out: two jobs fit in 300 tokens, a third would cross it.
    await engine.call('setBudget', { scope: 'day', unit: 'tokens', limit: 300, action: 'pause' })
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 10 }, (_, i) => ({ prompt: '{{doc}}', config: { vars: { doc: `${i}`.padEnd(400, '.') } } })),
      defaults: { provider: 'sim', config: { outputTokens: 4, maxTokens: 4, latencyMs: 5 } },
    })
    await waitFor(
      () => engine.call('listBudgets', {}),
      ({ budgets }) => budgets[0]!.crossedAt !== null,
      { what: 'the day token budget to be reached' },
    )
    await engine.idle()
    expect((await engine.call('queueStats', {})).counts).toMatchObject({ completed: 2, queued: 8 })
    expect((await engine.call('listBudgets', {})).budgets[0]).toMatchObject({ spent: 208 })
  })
})
