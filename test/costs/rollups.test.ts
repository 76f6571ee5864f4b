/**
 * The rollups settle keeps, on a real SQLite file: they agree with the attempt log, they
 * outlive the jobs retention removes, and the series read back from them are right.
 */
import { describe, expect, it } from 'vitest'
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS, latencyBucket, percentile } from '../../src/main/telemetry/rollups'
import type { AttemptResult, NewJob } from '../../src/main/queue/store'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { job, T0, tempStore } from '../support/queue'
import { NO_TAG, tagsOf } from '../../src/main/store/sqlite/telemetry/tag-rollups'

const SECOND = 1000
const HOUR = 3_600_000
const DAY = 86_400_000
/** A UTC midnight, so day buckets in these tests start where the test says. */
const MIDNIGHT = Math.floor(T0 / DAY) * DAY

interface Planned {
  /** When the attempt was claimed and when it ended. */
  at: number
  durationMs: number
  outcome: 'ok' | 'error'
  tokens?: [number, number]
  usd?: number | null
  kind?: string
  model?: string | null
}

/** Claims the queued jobs at each plan's time and settles them as planned, one claim and settle per plan. */
function runAttempts(store: SqliteQueueStore, plans: Planned[]): number[] {
  const ids: number[] = []
  for (const plan of plans) {
    const { jobs } = store.claim({ owner: 'o', limit: 1, now: plan.at, leaseMs: HOUR })
    const claimed = jobs[0]!
    ids.push(claimed.id)
    const endedAt = plan.at + plan.durationMs
    const cost = { providerKind: plan.kind ?? 'openai', model: plan.model === undefined ? 'gpt-4o' : plan.model, usd: plan.usd === undefined ? 0.01 : plan.usd }
    const result: AttemptResult =
      plan.outcome === 'ok'
        ? { id: claimed.id, outcome: 'ok', endedAt, output: 'x', inputTokens: plan.tokens?.[0] ?? 100, outputTokens: plan.tokens?.[1] ?? 50, cost }
        : { id: claimed.id, outcome: 'error', endedAt, category: 'SERVICE_UNAVAILABLE', message: '503', retryable: true, retryAt: endedAt, cost }
    store.settle([result], 'o')
  }
  return ids
}

function enqueue(store: SqliteQueueStore, n: number, overrides: Partial<NewJob> = {}, batch = 'b'): number {
  return store.enqueue(
    Array.from({ length: n }, (_, i) => job(`p${i}`, { runAt: MIDNIGHT, ...overrides })),
    batch,
    MIDNIGHT,
  ).batchId
}

/** Sums over one resolution of the rollups, beside the same sums over the attempt log. */
/** `rows` picks each provider's and model's rows, or (provider '') each bucket's row for all of them. */
function rollupTotals(store: SqliteQueueStore, width: number, rows = `provider <> ''`) {
  return store.db
    .prepare(
      `SELECT sum(attempts) AS attempts, sum(completed) AS completed, sum(failed) + sum(dead) AS failed,
        sum(input_tokens) AS input, sum(output_tokens) AS output, round(sum(cost_usd), 9) AS cost FROM usage_rollups WHERE resolution = ? AND ${rows}`,
    )
    .get(width)
}
function attemptTotals(store: SqliteQueueStore) {
  return store.db
    .prepare(
      `SELECT count(*) AS attempts, sum(outcome = 'ok') AS completed, sum(outcome = 'error') AS failed,
        sum(ifnull(input_tokens, 0)) AS input, sum(ifnull(output_tokens, 0)) AS output, round(sum(cost_usd), 9) AS cost FROM job_attempts`,
    )
    .get()
}

describe('latency histogram', () => {
  it('puts a duration in the log-spaced bucket whose upper bound holds it', () => {
    expect(LATENCY_BOUNDS_MS).toHaveLength(31)
    expect(LATENCY_BOUNDS_MS[5]).toBeCloseTo(10)
    expect(latencyBucket(0)).toBe(0)
    expect(latencyBucket(1)).toBe(0)
    expect(latencyBucket(1.5)).toBe(1)
    expect(latencyBucket(10)).toBe(5)
    expect(latencyBucket(10.01)).toBe(6)
    expect(latencyBucket(1000)).toBe(15)
    expect(latencyBucket(5_000_000)).toBe(LATENCY_BUCKETS - 1)
  })

  it('reads percentiles back within a bucket’s width of the real ones', () => {
    const durations = Array.from({ length: 1000 }, (_, i) => 20 + i * 2) // 20 ms .. 2018 ms, uniform
    const counts = new Array<number>(LATENCY_BUCKETS).fill(0)
    for (const ms of durations) counts[latencyBucket(ms)]!++
    for (const q of [0.5, 0.95, 0.99]) {
      const real = durations[Math.ceil(q * durations.length) - 1]!
      expect(percentile(counts, q)!).toBeGreaterThan(real / 1.3)
      expect(percentile(counts, q)!).toBeLessThan(real * 1.3)
    }
    expect(percentile(new Array<number>(LATENCY_BUCKETS).fill(0), 0.5)).toBeNull()
  })
})

describe('rollups kept by settle', () => {
  it('agree with the attempt log at every resolution, and keep the batch’s totals', () => {
    const store = tempStore()
    const batchId = enqueue(store, 6)
    const plans: Planned[] = [
      { at: MIDNIGHT + 1 * SECOND, durationMs: 120, outcome: 'ok', tokens: [100, 40], usd: 0.002 },
      { at: MIDNIGHT + 1 * SECOND + 500, durationMs: 80, outcome: 'ok', tokens: [200, 60], usd: 0.004 },
      { at: MIDNIGHT + 5 * SECOND, durationMs: 3000, outcome: 'error' },
      { at: MIDNIGHT + 2 * HOUR, durationMs: 400, outcome: 'ok', tokens: [10, 10], usd: null, model: 'gpt-new' },
      { at: MIDNIGHT + 2 * HOUR, durationMs: 40, outcome: 'ok', tokens: [5, 5], usd: 0, kind: 'sim', model: null },
    ]
    runAttempts(store, plans)

    const attempts = store.db.prepare('SELECT provider, provider_kind, model, cost_usd FROM job_attempts ORDER BY id').all()
    expect(attempts).toEqual([
      { provider: 'sim', provider_kind: 'openai', model: 'gpt-4o', cost_usd: 0.002 },
      { provider: 'sim', provider_kind: 'openai', model: 'gpt-4o', cost_usd: 0.004 },
      { provider: 'sim', provider_kind: 'openai', model: 'gpt-4o', cost_usd: 0.01 },
      { provider: 'sim', provider_kind: 'openai', model: 'gpt-new', cost_usd: null },
      { provider: 'sim', provider_kind: 'sim', model: null, cost_usd: 0 },
    ])
    const expected = attemptTotals(store)
    expect(expected).toMatchObject({ attempts: 5, completed: 4, failed: 1, input: 315, output: 115 })
    for (const width of [SECOND, 60 * SECOND, HOUR, DAY]) {
      expect(rollupTotals(store, width)).toEqual(expected)
      expect(rollupTotals(store, width, `provider = ''`)).toEqual(expected)
    }
    // A row per bucket, provider and model: one second holds the first two attempts; the first minute holds the failure too.
    const rows = (width: number) => store.db.prepare(`SELECT count(*) FROM usage_rollups WHERE resolution = ? AND provider <> ''`).pluck().get(width)
    expect([rows(SECOND), rows(60 * SECOND), rows(HOUR), rows(DAY)]).toEqual([4, 3, 3, 3])

    const batch = store.db
      .prepare('SELECT attempts, input_tokens, output_tokens, cost_usd, unpriced_attempts, settled_at FROM batches WHERE id = ?')
      .get(batchId)
    expect(batch).toEqual({
      attempts: 5,
      input_tokens: 315,
      output_tokens: 115,
      cost_usd: expect.closeTo(0.016, 9) as number,
      unpriced_attempts: 1,
      settled_at: MIDNIGHT + 2 * HOUR + 400,
    })
  })

  it('records an attempt no one priced with the job’s own provider and model, and no cost when it used tokens', () => {
    const store = tempStore()
    enqueue(store, 2, { provider: 'openai', model: 'gpt-4o' })
    const { jobs } = store.claim({ owner: 'o', limit: 2, now: MIDNIGHT, leaseMs: HOUR })
    store.settle(
      [
        { id: jobs[0]!.id, outcome: 'ok', endedAt: MIDNIGHT + 10, output: 'x', inputTokens: 3, outputTokens: 4 },
        { id: jobs[1]!.id, outcome: 'error', endedAt: MIDNIGHT + 10, category: 'TIMEOUT', message: 't', retryable: false, retryAt: MIDNIGHT },
      ],
      'o',
    )
    expect(store.db.prepare('SELECT provider, provider_kind, model, cost_usd FROM job_attempts ORDER BY id').all()).toEqual([
      { provider: 'openai', provider_kind: null, model: 'gpt-4o', cost_usd: null },
      { provider: 'openai', provider_kind: null, model: 'gpt-4o', cost_usd: 0 },
    ])
    expect(store.db.prepare(`SELECT completed, dead, unpriced FROM usage_rollups WHERE resolution = ${DAY} AND provider = 'openai'`).get()).toEqual({
      completed: 1,
      dead: 1,
      unpriced: 1,
    })
  })

  it('survive the removal of the jobs they count, and keep answering the cost report', () => {
    const store = tempStore()
    enqueue(store, 4, { tags: ['nightly'] })
    runAttempts(store, [
      { at: MIDNIGHT + SECOND, durationMs: 100, outcome: 'ok', usd: 0.5 },
      { at: MIDNIGHT + 2 * SECOND, durationMs: 100, outcome: 'ok', usd: 0.25 },
      { at: MIDNIGHT + 3 * SECOND, durationMs: 100, outcome: 'ok', usd: 0.25 },
    ])
    const now = MIDNIGHT + HOUR
    const query = { by: 'provider' as const, since: MIDNIGHT, until: now }
    const before = store.costs.costReport(query, now)
    expect(before.rows).toEqual([
      {
        key: 'sim',
        label: 'openai',
        attempts: 3,
        inputTokens: 300,
        cachedInputTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 150,
        costUsd: 1,
        unpricedAttempts: 0,
      },
    ])
    expect(store.costs.costReport({ ...query, by: 'tag' }, now).rows).toMatchObject([{ key: 'nightly', attempts: 3, costUsd: 1 }])

    expect(store.clean('completed', now)).toBe(3)
    expect(store.db.prepare('SELECT count(*) FROM job_attempts').pluck().get()).toBe(0)
    expect(store.costs.costReport(query, now)).toEqual(before)
    expect(store.costs.costReport({ ...query, by: 'day' }, now).rows).toMatchObject([{ key: new Date(MIDNIGHT).toISOString().slice(0, 10), costUsd: 1 }])
    expect(store.costs.costReport({ ...query, by: 'tag' }, now).rows).toMatchObject([{ key: 'nightly', attempts: 3, costUsd: 1 }])
  })

  it('prune each resolution past its keep; days stay', () => {
    const store = tempStore()
    enqueue(store, 1)
    runAttempts(store, [{ at: MIDNIGHT, durationMs: 10, outcome: 'ok' }])
    store.costs.sampleDepth(store.stats(MIDNIGHT), MIDNIGHT)
    const count = (table: string) =>
      store.db.prepare(`SELECT resolution, count(*) AS n FROM ${table} GROUP BY resolution ORDER BY resolution`).all() as { resolution: number; n: number }[]
    expect(count('usage_rollups').map((r) => r.n)).toEqual([2, 2, 2, 2])
    // The 1 s bucket's rows (the provider's and the all-providers row) and its depth sample.
    expect(store.costs.pruneRollups(MIDNIGHT + 2 * HOUR)).toBe(3)
    expect(count('usage_rollups').map((r) => r.resolution)).toEqual([60 * SECOND, HOUR, DAY])
    store.costs.pruneRollups(MIDNIGHT + 365 * DAY)
    expect(count('usage_rollups').map((r) => r.resolution)).toEqual([DAY])
    expect(count('depth_samples').map((r) => r.resolution)).toEqual([DAY])
  })
})

describe('series', () => {
  function busyStore(): SqliteQueueStore {
    const store = tempStore()
    enqueue(store, 6, { provider: 'sim' })
    runAttempts(store, [
      { at: MIDNIGHT + 10 * SECOND, durationMs: 100, outcome: 'ok', tokens: [1000, 500], usd: 0.036 },
      { at: MIDNIGHT + 10 * SECOND, durationMs: 300, outcome: 'ok', tokens: [1000, 500], usd: 0.036 },
      { at: MIDNIGHT + 10 * SECOND, durationMs: 200, outcome: 'error', usd: 0 },
      { at: MIDNIGHT + 12 * SECOND, durationMs: 1000, outcome: 'ok', tokens: [0, 0], usd: 0, model: 'other' },
    ])
    return store
  }

  it('gives throughput per second for every bucket of the range, zero where nothing happened', () => {
    const store = busyStore()
    const now = MIDNIGHT + 20 * SECOND
    const series = store.costs.series({ metric: 'throughput', resolution: '1s', since: MIDNIGHT + 10 * SECOND, until: MIDNIGHT + 14 * SECOND }, now)
    expect(series).toMatchObject({ metric: 'throughput', resolution: '1s', since: MIDNIGHT + 10 * SECOND, until: MIDNIGHT + 14 * SECOND })
    expect(series.points).toEqual([
      { t: MIDNIGHT + 10 * SECOND, completedPerSecond: 2, failedPerSecond: 1, deadPerSecond: 0 },
      { t: MIDNIGHT + 11 * SECOND, completedPerSecond: 0, failedPerSecond: 0, deadPerSecond: 0 },
      { t: MIDNIGHT + 12 * SECOND, completedPerSecond: 0, failedPerSecond: 0, deadPerSecond: 0 },
      { t: MIDNIGHT + 13 * SECOND, completedPerSecond: 1, failedPerSecond: 0, deadPerSecond: 0 },
    ])
    // One minute holds them all, as a rate over the minute; one model only when asked.
    const minute = store.costs.series({ metric: 'throughput', resolution: '1m', since: MIDNIGHT, until: MIDNIGHT + 60 * SECOND }, MIDNIGHT + HOUR)
    expect(minute.points).toEqual([{ t: MIDNIGHT, completedPerSecond: 0.05, failedPerSecond: 0.017, deadPerSecond: 0 }])
    const oneModel = store.costs.series(
      { metric: 'throughput', resolution: '1m', since: MIDNIGHT, until: MIDNIGHT + 60 * SECOND, model: 'other' },
      MIDNIGHT + HOUR,
    )
    expect(oneModel.points[0]).toMatchObject({ completedPerSecond: 0.017, failedPerSecond: 0 })
  })

  it('gives tokens and cost rates, and latency percentiles of completed attempts', () => {
    const store = busyStore()
    const range = { resolution: '1s' as const, since: MIDNIGHT + 10 * SECOND, until: MIDNIGHT + 11 * SECOND }
    const now = MIDNIGHT + 30 * SECOND
    expect(store.costs.series({ metric: 'tokens', ...range }, now).points).toEqual([
      { t: range.since, inputPerSecond: 2000, outputPerSecond: 1000, cachedInputPerSecond: 0, cacheWritePerSecond: 0 },
    ])
    expect(store.costs.series({ metric: 'cost', ...range }, now).points).toEqual([{ t: range.since, usdPerHour: 259.2, usd: 0.072, unpricedAttempts: 0 }])
    const [point] = store.costs.series({ metric: 'latency', ...range }, now).points
    expect(point).toMatchObject({ t: range.since, completed: 2 })
    expect(point!.p50Ms).toBeGreaterThan(60)
    expect(point!.p50Ms).toBeLessThan(160)
    expect(point!.p99Ms).toBeGreaterThan(200)
    expect(point!.p99Ms).toBeLessThanOrEqual(400)
    const empty = store.costs.series({ metric: 'latency', resolution: '1s', since: MIDNIGHT + 11 * SECOND, until: MIDNIGHT + 12 * SECOND }, now)
    expect(empty.points).toEqual([{ t: MIDNIGHT + 11 * SECOND, p50Ms: null, p95Ms: null, p99Ms: null, completed: 0 }])
  })

  it('gives queue depth as the mean of the samples in each bucket, only where sampled', () => {
    const store = tempStore()
    enqueue(store, 10)
    store.costs.sampleDepth(store.stats(MIDNIGHT), MIDNIGHT)
    store.claim({ owner: 'o', limit: 4, now: MIDNIGHT + 100, leaseMs: HOUR })
    store.costs.sampleDepth(store.stats(MIDNIGHT + 200), MIDNIGHT + 200)
    store.costs.sampleDepth(store.stats(MIDNIGHT + 5 * SECOND), MIDNIGHT + 5 * SECOND)
    const now = MIDNIGHT + 10 * SECOND
    const seconds = store.costs.series({ metric: 'depth', resolution: '1s', since: MIDNIGHT, until: now }, now)
    expect(seconds.points).toEqual([
      { t: MIDNIGHT, queued: 8, delayed: 0, active: 2, completed: 0, dead: 0, cancelled: 0, submitted: 0 },
      { t: MIDNIGHT + 5 * SECOND, queued: 6, delayed: 0, active: 4, completed: 0, dead: 0, cancelled: 0, submitted: 0 },
    ])
    expect(() => store.costs.series({ metric: 'depth', resolution: '1s', provider: 'sim' }, now)).toThrow(/queue-wide/)
  })

  it('answers from where a resolution is still kept, and refuses a range of too many points', () => {
    const store = busyStore()
    const now = MIDNIGHT + 3 * HOUR
    const late = store.costs.series({ metric: 'throughput', resolution: '1s', since: MIDNIGHT }, now)
    expect(late.since).toBe(now - HOUR)
    expect(late.points).toHaveLength(3600)
    expect(late.points.every((p) => p.completedPerSecond === 0)).toBe(true)
    expect(() => store.costs.series({ metric: 'throughput', resolution: '1m', since: 0, until: now }, now)).toThrow(/at most 10000/)
    expect(store.costs.series({ metric: 'throughput', resolution: '1h', since: now, until: now }, now).points).toEqual([])
  })
})

describe('a job’s tags, as the tag rollups count them', () => {
  it('each tag once; none, or a value that does not parse, as "(no tag)"', () => {
    expect(tagsOf('["a","b","a"]')).toEqual(['a', 'b'])
    expect(tagsOf(null)).toEqual([NO_TAG])
    expect(tagsOf('[]')).toEqual([NO_TAG])
    expect(tagsOf('{"a":1}')).toEqual([NO_TAG])
    expect(tagsOf('{not json')).toEqual([NO_TAG])
    expect(tagsOf('[1, "x"]')).toEqual(['x'])
  })
})
