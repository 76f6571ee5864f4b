/** Conformance, the costs port: price overrides, budgets and their notices, the cost report, series over the rollups, depth samples, pruning, recent output. */
import { describe, expect, it } from 'vitest'
import { OperationError } from '../../../src/shared/contract'
import type { QueueStats } from '../../../src/shared/jobs'
import { DAY_WIDTH } from '../../../src/main/telemetry/rollups'
import type { BudgetRoom } from '../../../src/main/costs/store'
import { failureOf, job, LEASE, ok, OWNER, T0, freshStore, type StoreFactory } from './harness'
import { runAttempts, type PortsStore } from './ports-harness'

const HOUR = 3_600_000
const DAY_START = T0 - (T0 % DAY_WIDTH)

const depth = (queued: number, active: number): QueueStats => ({
  counts: { queued, delayed: 0, submitted: 0, active, completed: 0, dead: 0, cancelled: 0 },
  paused: false,
})

export function costsConformance(factory: StoreFactory<PortsStore>): void {
  describe('prices', () => {
    it('keeps overrides in provider and model order, replaces one, and removes it once', async () => {
      const { store } = await freshStore(factory)
      await store.costs.setPriceOverride({ provider: 'openai', model: 'gpt-b', inputPerMillion: 1.5, outputPerMillion: 6 }, T0)
      const set = await store.costs.setPriceOverride({ provider: 'anthropic', model: 'claude', inputPerMillion: 3, outputPerMillion: 15 }, T0)
      expect(set).toEqual({ provider: 'anthropic', model: 'claude', inputPerMillion: 3, outputPerMillion: 15, asOf: '2027-01-15', source: 'override' })
      await store.costs.setPriceOverride({ provider: 'openai', model: 'gpt-b', inputPerMillion: 0.25, outputPerMillion: 2 }, T0 + DAY_WIDTH)
      expect((await store.costs.priceOverrides()).map((p) => [p.provider, p.model, p.inputPerMillion, p.outputPerMillion, p.asOf])).toEqual([
        ['anthropic', 'claude', 3, 15, '2027-01-15'],
        ['openai', 'gpt-b', 0.25, 2, '2027-01-16'],
      ])
      expect(await store.costs.removePriceOverride('openai', 'gpt-b')).toBe(true)
      expect(await store.costs.removePriceOverride('openai', 'gpt-b')).toBe(false)
      expect((await store.costs.priceOverrides()).map((p) => p.model)).toEqual(['claude'])
    })
  })

  describe('budgets', () => {
    it('sets, lists, replaces and removes budgets, refusing a batch that does not exist', async () => {
      const { store } = await freshStore(factory)
      expect(await store.costs.anyBudgets()).toBe(false)
      const { batchId } = await runAttempts(store, [{ usd: 0.25, input: 100, output: 50 }])
      const day = await store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 10, action: 'alert' }, T0 + HOUR)
      expect(day).toEqual({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 10, action: 'alert', crossedAt: null, spent: 0.25, reserved: 0 })
      await store.costs.setBudget({ scope: 'batch', batchId, target: null, unit: 'tokens', limit: 1000, action: 'pause' }, T0 + HOUR)
      await store.costs.setBudget({ scope: 'profile', batchId: null, target: 'openai', unit: 'usd', limit: 5, action: 'pause' }, T0 + HOUR)
      await store.costs.setBudget({ scope: 'provider', batchId: null, target: 'anthropic', unit: 'usd', limit: 5, action: 'alert' }, T0 + HOUR)
      expect(await store.costs.anyBudgets()).toBe(true)
      const listed = await store.costs.budgets(T0 + HOUR)
      expect(listed.map((b) => [b.scope, b.batchId, b.target, b.unit, b.limit, b.action, b.spent])).toEqual([
        ['batch', batchId, null, 'tokens', 1000, 'pause', 150],
        ['day', null, null, 'usd', 10, 'alert', 0.25],
        ['profile', null, 'openai', 'usd', 5, 'pause', 0.25],
        ['provider', null, 'anthropic', 'usd', 5, 'alert', 0],
      ])
      // Setting the same key again replaces it: one budget, the new limit and action.
      const replaced = await store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 20, action: 'pause' }, T0 + HOUR)
      expect(replaced).toMatchObject({ limit: 20, action: 'pause', spent: 0.25 })
      expect((await store.costs.budgets(T0 + HOUR)).filter((b) => b.scope === 'day')).toHaveLength(1)
      // A day budget counts today only: tomorrow nothing is spent.
      expect((await store.costs.budgets(T0 + DAY_WIDTH)).find((b) => b.scope === 'day')!.spent).toBe(0)
      const missing = await failureOf(() => store.costs.setBudget({ scope: 'batch', batchId: 999, target: null, unit: 'usd', limit: 1, action: 'alert' }, T0))
      expect(missing).toBeInstanceOf(OperationError)
      expect(missing).toMatchObject({ code: 'NOT_FOUND', message: 'batch 999 does not exist' })
      expect(await store.costs.removeBudget({ scope: 'profile', batchId: null, target: 'openai', unit: 'usd' })).toBe(true)
      expect(await store.costs.removeBudget({ scope: 'profile', batchId: null, target: 'openai', unit: 'usd' })).toBe(false)
      expect(await store.costs.removeBudget({ scope: 'batch', batchId, target: null, unit: 'tokens' })).toBe(true)
      expect((await store.costs.budgets(T0 + HOUR)).map((b) => b.scope)).toEqual(['day', 'provider'])
    })

    it('tells each share reached once a period, to one engine of two, and a held budget as reached', async () => {
      const { store, another } = await freshStore(factory)
      const other = await another()
      await store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 1, action: 'alert' }, T0)
      await store.costs.setBudget({ scope: 'provider', batchId: null, target: 'openai', unit: 'tokens', limit: 1000, action: 'pause' }, T0)
      expect(await store.costs.budgetNotices(T0, [])).toEqual([])
      await runAttempts(store, [{ usd: 0.3 }, { usd: 0.3 }])
      const now = T0 + HOUR
      const [mine, theirs] = await Promise.all([store.costs.budgetNotices(now, []), other.costs.budgetNotices(now, [])])
      const told = [...mine, ...theirs]
      expect(told.map((n) => [n.budget.scope, n.percent, n.budget.spent, n.budget.crossedAt])).toEqual([['day', 50, 0.6, null]])
      expect(await store.costs.budgetNotices(now, [])).toEqual([])
      await runAttempts(store, [{ usd: 0.45, input: 500, output: 400 }], now)
      const later = await store.costs.budgetNotices(now + HOUR, [])
      expect(later.map((n) => [n.budget.scope, n.percent])).toEqual([
        ['day', 100],
        ['provider', 80],
      ])
      expect(later[0]!.budget.crossedAt).toBe(now + HOUR)
      // Held by a claim: reached, whatever was spent.
      // Budgets are numbered from 1 in the order they were made: the provider budget is 2.
      const held = await store.costs.budgetNotices(now + HOUR, [2])
      expect(held.map((n) => [n.budget.scope, n.percent, n.budget.spent])).toEqual([['provider', 100, 960]])
      // A new day is a new period: the day budget is told again from its start.
      await runAttempts(store, [{ usd: 0.55 }], T0 + DAY_WIDTH)
      expect((await store.costs.budgetNotices(T0 + DAY_WIDTH + HOUR, [])).map((n) => [n.budget.scope, n.percent])).toEqual([['day', 50]])
    })
    it('weighs what running attempts reserved, and gives a claim the room left of the budgets that pause', async () => {
      const { store } = await freshStore(factory)
      await store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'usd', limit: 1, action: 'pause' }, T0)
      await store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'tokens', limit: 1000, action: 'alert' }, T0)
      await store.costs.setBudget({ scope: 'profile', batchId: null, target: 'openai', unit: 'tokens', limit: 1000, action: 'pause' }, T0)
      await runAttempts(store, [{ usd: 0.25, input: 10, output: 20 }])
      const now = T0 + HOUR
      const openai = { provider: 'openai', model: 'gpt', runAt: now }
      await store.enqueue([job('a', openai), job('b', openai)], 'reserved', now)
      const claimWith = async (at: number) => {
        let rooms: BudgetRoom[] = []
        const claimed = await store.claim({
          owner: OWNER,
          limit: 10,
          now: at,
          leaseMs: LEASE,
          gate: (facts) => {
            rooms = [...facts.budgets]
            return { allowance: () => Infinity, admit: () => true }
          },
          reserve: (route, batch) => ({ provider: route.provider, providerKind: 'openai', batchId: batch, usd: 0.125, tokens: 100 }),
        })
        return { claimed: claimed.jobs.map((j) => j.id), rooms: rooms.map((r) => [r.id, r.scope, r.target, r.unit, r.limit, r.left]) }
      }
      const first = await claimWith(now)
      expect(first.claimed).toHaveLength(2)
      // Budgets are numbered from 1 in the order they were made; the alerting one is not the claim's to weigh.
      expect(first.rooms).toEqual([
        [1, 'day', null, 'usd', 1, 0.75],
        [3, 'profile', 'openai', 'tokens', 1000, 970],
      ])
      expect((await store.costs.budgets(now)).map((b) => [b.scope, b.unit, b.spent, b.reserved])).toEqual([
        ['day', 'tokens', 30, 200],
        ['day', 'usd', 0.25, 0.25],
        ['profile', 'tokens', 30, 200],
      ])
      await store.enqueue([job('c', openai)], 'more', now)
      expect((await claimWith(now + 1)).rooms).toEqual([
        [1, 'day', null, 'usd', 1, 0.5],
        [3, 'profile', 'openai', 'tokens', 1000, 770],
      ])
      // Settled, what they cost is booked and the reservations go.
      await store.settle(
        first.claimed.map((id) => ({ ...ok(id, now + 100), cost: { providerKind: 'openai', model: null, usd: 0.125 } })),
        OWNER,
      )
      expect((await store.costs.budgets(now + 200)).map((b) => [b.scope, b.unit, b.spent, b.reserved])).toEqual([
        ['day', 'tokens', 46, 100],
        ['day', 'usd', 0.5, 0.125],
        ['profile', 'tokens', 46, 100],
      ])
    })
  })

  describe('costReport', () => {
    it('groups the rollups by provider, model, day and tag, and batches by their totals, with notes on what is unpriced', async () => {
      const { store } = await freshStore(factory)
      const first = await runAttempts(store, [
        { provider: 'openai', model: 'gpt', usd: 0.5, input: 100, output: 10, tags: ['alpha', 'beta'] },
        { provider: 'team-claude', kind: 'anthropic', model: 'claude', usd: 1.25, input: 200, output: 20, tags: ['alpha'] },
        { provider: 'local', model: null, usd: null, input: 7, output: 3 },
      ])
      const second = await runAttempts(
        store,
        [{ provider: 'openai', model: 'gpt-mini', usd: 0.125, input: 40, output: 4, outcome: 'dead' }],
        T0 + DAY_WIDTH,
        'second',
      )
      const query = { since: T0 - DAY_WIDTH, until: T0 + 2 * DAY_WIDTH }
      const now = T0 + 2 * DAY_WIDTH
      const byProvider = await store.costs.costReport({ ...query, by: 'provider' }, now)
      expect(byProvider.rows.map((r) => [r.key, r.label, r.attempts, r.inputTokens, r.outputTokens, r.costUsd, r.unpricedAttempts])).toEqual([
        ['team-claude', 'anthropic', 1, 200, 20, 1.25, 0],
        ['openai', 'openai', 2, 100, 10, 0.625, 0],
        ['local', 'local', 1, 7, 3, null, 1],
      ])
      expect(byProvider.total).toEqual({
        attempts: 4,
        inputTokens: 307,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 33,
        costUsd: 1.875,
        unpricedAttempts: 1,
      })
      expect(byProvider.notes).toEqual([
        'local: 1 attempt used tokens of a model with no price (their tokens are counted, their cost left out); set one with `genops costs price set local <model> --input USD --output USD` (per million tokens)',
        expect.stringMatching(/^the total of \$1\.8\d* leaves out the unpriced attempts$/),
      ])
      const byModel = await store.costs.costReport({ ...query, by: 'model' }, now)
      expect(byModel.rows.map((r) => [r.key, r.costUsd])).toEqual([
        ['anthropic/claude', 1.25],
        ['openai/gpt', 0.5],
        ['openai/gpt-mini', 0.125],
        ['local/(no model)', null],
      ])
      const byDay = await store.costs.costReport({ ...query, by: 'day' }, now)
      expect(byDay.rows.map((r) => [r.key, r.attempts, r.costUsd])).toEqual([
        ['2027-01-15', 3, 1.75],
        ['2027-01-16', 1, 0.125],
      ])
      expect(byDay.notes).toContain('days are UTC days')
      const byTag = await store.costs.costReport({ ...query, by: 'tag' }, now)
      expect(byTag.rows.map((r) => [r.key, r.attempts, r.costUsd])).toEqual([
        ['alpha', 2, 1.75],
        ['beta', 1, 0.5],
        ['(no tag)', 2, 0.125],
      ])
      expect(byTag.total.attempts).toBe(4)
      const byBatch = await store.costs.costReport({ ...query, by: 'batch' }, now)
      expect(byBatch.rows.map((r) => [r.key, r.label, r.attempts, r.costUsd, r.unpricedAttempts])).toEqual([
        [String(first.batchId), 'runs', 3, 1.75, 1],
        [String(second.batchId), 'second', 1, 0.125, 0],
      ])
      expect(byBatch.total).toMatchObject({ attempts: 4, costUsd: 1.875, unpricedAttempts: 1 })
      // Beyond the hours' 90 days the report reads days, from the start of since's day.
      const old = await store.costs.costReport({ by: 'provider', since: T0 + HOUR, until: T0 + 2 * DAY_WIDTH }, T0 + 100 * DAY_WIDTH)
      expect(old.total.attempts).toBe(4)
      expect(old.notes).toContain('from the start of 2027-01-15 (UTC): older figures are kept by the day')
    })
  })

  describe('series', () => {
    it('reads throughput, tokens, cost and latency by bucket, for all providers or one, with zeros between', async () => {
      const { store } = await freshStore(factory)
      await runAttempts(store, [
        { provider: 'openai', usd: 0.5, input: 120, output: 60, durationMs: 100 },
        { provider: 'anthropic', model: 'claude', usd: 0.25, input: 60, output: 30, durationMs: 1000 },
      ])
      await runAttempts(store, [{ provider: 'openai', outcome: 'dead', usd: 0 }], T0 + 2 * 60_000, 'later')
      const now = T0 + 10 * 60_000
      const window = { resolution: '1m' as const, since: T0, until: T0 + 3 * 60_000 }
      const throughput = await store.costs.series({ ...window, metric: 'throughput' }, now)
      expect(throughput).toMatchObject({ metric: 'throughput', resolution: '1m', since: T0, until: T0 + 3 * 60_000 })
      expect(throughput.points).toEqual([
        { t: T0, completedPerSecond: 0.033, failedPerSecond: 0, deadPerSecond: 0 },
        { t: T0 + 60_000, completedPerSecond: 0, failedPerSecond: 0, deadPerSecond: 0 },
        { t: T0 + 120_000, completedPerSecond: 0, failedPerSecond: 0.017, deadPerSecond: 0.017 },
      ])
      const tokens = await store.costs.series({ ...window, metric: 'tokens', provider: 'openai' }, now)
      expect(tokens.points[0]).toEqual({ t: T0, inputPerSecond: 2, outputPerSecond: 1, cachedInputPerSecond: 0, cacheWritePerSecond: 0 })
      const cost = await store.costs.series({ ...window, metric: 'cost', model: 'claude' }, now)
      expect(cost.points[0]).toEqual({ t: T0, usdPerHour: 15, usd: 0.25, unpricedAttempts: 0 })
      const latency = await store.costs.series({ ...window, metric: 'latency' }, now)
      expect(latency.points[0]).toMatchObject({ completed: 2 })
      expect(latency.points[0]!.p50Ms).toBeGreaterThan(60)
      expect(latency.points[0]!.p99Ms).toBeGreaterThan(600)
      expect(latency.points[1]).toEqual({ t: T0 + 60_000, p50Ms: null, p95Ms: null, p99Ms: null, completed: 0 })
      // The bucket still filling is measured over the part of it already past.
      const filling = await store.costs.series({ resolution: '1h', since: T0, until: T0 + 60_000, metric: 'cost' }, T0 + 60_000)
      expect(filling.points).toEqual([{ t: T0, usdPerHour: 45, usd: 0.75, unpricedAttempts: 0 }])
      expect(
        await failureOf(() => store.costs.series({ resolution: '1m', since: T0, until: T0 + 7 * DAY_WIDTH, metric: 'cost' }, T0 + 7 * DAY_WIDTH)),
      ).toMatchObject({
        code: 'INVALID_INPUT',
      })
    })

    it('averages depth samples by bucket, only where sampled, queue-wide only', async () => {
      const { store } = await freshStore(factory)
      await store.costs.sampleDepth(depth(4, 1), T0)
      await store.costs.sampleDepth(depth(2, 2), T0 + 30_000)
      await store.costs.sampleDepth(depth(9, 0), T0 + 120_000)
      const series = await store.costs.series({ metric: 'depth', resolution: '1m', since: T0, until: T0 + 180_000 }, T0 + 180_000)
      expect(series.points).toEqual([
        { t: T0, queued: 3, delayed: 0, active: 1.5, completed: 0, dead: 0, cancelled: 0, submitted: 0 },
        { t: T0 + 120_000, queued: 9, delayed: 0, active: 0, completed: 0, dead: 0, cancelled: 0, submitted: 0 },
      ])
      const hourly = await store.costs.series({ metric: 'depth', resolution: '1h', since: T0, until: T0 + HOUR }, T0 + 180_000)
      expect(hourly.points).toEqual([{ t: T0, queued: 5, delayed: 0, active: 1, completed: 0, dead: 0, cancelled: 0, submitted: 0 }])
      expect(await failureOf(() => store.costs.series({ metric: 'depth', resolution: '1m', provider: 'openai' }, T0 + 180_000))).toMatchObject({
        code: 'INVALID_INPUT',
      })
    })
  })

  describe('upkeep and estimates', () => {
    it('prunes buckets past their resolution’s keep and counts the rows that went', async () => {
      const { store } = await freshStore(factory)
      await runAttempts(store, [{ usd: 0.5 }])
      await store.costs.sampleDepth(depth(1, 0), T0)
      expect(await store.costs.pruneRollups(T0 + HOUR)).toBe(0)
      // Past an hour the seconds go: the provider's row, the all-providers row and the depth sample.
      expect(await store.costs.pruneRollups(T0 + 2 * HOUR)).toBe(3)
      expect(await store.costs.pruneRollups(T0 + 2 * HOUR)).toBe(0)
      const minutes = await store.costs.series({ metric: 'cost', resolution: '1m', since: T0, until: T0 + 60_000 }, T0 + 2 * HOUR)
      expect(minutes.points[0]!.usd).toBe(0.5)
      // Past seven days the minutes go too (two usage rows, one depth row); the hours and days stay.
      expect(await store.costs.pruneRollups(T0 + 8 * DAY_WIDTH)).toBe(3)
      const report = await store.costs.costReport({ by: 'provider', since: DAY_START, until: T0 + DAY_WIDTH }, T0 + 8 * DAY_WIDTH)
      expect(report.total.costUsd).toBe(0.5)
    })

    it('gives what a provider and model completed lately and the output they gave', async () => {
      const { store } = await freshStore(factory)
      await runAttempts(store, [{ output: 30 }, { output: 50 }, { model: null, output: 7 }, { output: 1000, outcome: 'dead' }])
      await runAttempts(store, [{ output: 40 }], T0 - 3 * HOUR, 'earlier')
      expect(await store.costs.recentOutput('openai', 'gpt', T0 + 1)).toEqual({ completed: 2, outputTokens: 80 })
      expect(await store.costs.recentOutput('openai', 'gpt', T0 - 3 * HOUR)).toEqual({ completed: 3, outputTokens: 120 })
      expect(await store.costs.recentOutput('openai', null, T0)).toEqual({ completed: 1, outputTokens: 7 })
      expect(await store.costs.recentOutput('anthropic', 'gpt', T0)).toEqual({ completed: 0, outputTokens: 0 })
    })
  })
}
