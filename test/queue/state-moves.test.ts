/**
 * The claim and the settle keep the counts the state triggers keep for every other path
 * (migration 0026, store/sqlite/queue/state-moves.ts): a batch's counts by state, its finishes by
 * minute and the finished-job totals must be what a plain reading of the jobs table says,
 * whichever path moved the jobs, and the triggers' switch is never left on.
 */
import { describe, expect, it } from 'vitest'
import type { AttemptResult } from '../../src/main/queue/store'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { expectCountsAgree, job, T0, tempStore } from '../support/queue'

const OWNER = 'test-host:1:owner'
const MINUTE = 60_000

function fill(store: SqliteQueueStore): void {
  const models: [string, string | null][] = [
    ['sim', null],
    ['sim', 'sim-large'],
    ['openai', 'gpt-4o-mini'],
  ]
  for (let b = 0; b < 2; b++)
    store.enqueue(
      Array.from({ length: 30 }, (_, i) => job(`batch ${b} job ${i}`, { provider: models[i % 3]![0], model: models[i % 3]![1], maxAttempts: 2 })),
      `batch ${b}`,
      T0,
    )
}

const ok = (id: number, endedAt: number): AttemptResult => ({ id, outcome: 'ok', endedAt, output: 'done', inputTokens: 3, outputTokens: 5 })
const failed = (id: number, endedAt: number, retryable: boolean): AttemptResult => ({
  id,
  outcome: 'error',
  endedAt,
  category: retryable ? 'PROVIDER' : 'VALIDATION',
  message: 'no',
  retryable,
  retryAt: endedAt,
})

const rows = (store: SqliteQueueStore, query: string) => (store.db.prepare(query).raw().all() as unknown[][]).map((row) => row.join(' ')).sort()

function expectFinishesAgree(store: SqliteQueueStore): void {
  expect(rows(store, 'SELECT batch_id, minute, completed, dead FROM batch_finishes WHERE completed + dead > 0')).toEqual(
    rows(
      store,
      `SELECT batch_id, finished_at / 60000, sum(state = 'completed'), sum(state = 'dead') FROM jobs
       WHERE batch_id IS NOT NULL AND state IN ('completed', 'dead') GROUP BY 1, 2`,
    ),
  )
  expect(rows(store, `SELECT provider, model, detail, n FROM metric_totals WHERE metric = 'jobs_finished' AND n > 0`)).toEqual(
    rows(store, `SELECT provider, ifnull(model, ''), state, count(*) FROM jobs WHERE state IN ('completed', 'dead', 'cancelled') GROUP BY 1, 2, 3`),
  )
  expect(store.db.prepare('SELECT active FROM counted_by_caller').pluck().get()).toBe(0)
}

describe('counts kept by the claim and the settle', () => {
  it('agree with the jobs table through completions, retries, deaths and a cancel, over several minutes', () => {
    const store = tempStore()
    fill(store)
    const first = store.claim({ owner: OWNER, limit: 40, now: T0 + MINUTE, leaseMs: MINUTE }).jobs
    store.settle(
      first.map((claimed, i) => (i % 4 === 0 ? failed(claimed.id, T0 + MINUTE, i % 8 === 0) : ok(claimed.id, T0 + MINUTE + (i % 2) * MINUTE))),
      OWNER,
    )
    // A cancel moves its job through the triggers, beside the counts the settle added.
    store.cancel(first.at(-1)!.id + 1, T0 + 2 * MINUTE)
    const second = store.claim({ owner: OWNER, limit: 100, now: T0 + 3 * MINUTE, leaseMs: MINUTE }).jobs
    expect(second.length).toBeGreaterThan(20)
    store.settle(
      second.map((claimed, i) => (i % 3 === 0 ? failed(claimed.id, T0 + 4 * MINUTE, false) : ok(claimed.id, T0 + 4 * MINUTE))),
      OWNER,
    )
    expectCountsAgree(store)
    expectFinishesAgree(store)
    expect(rows(store, `SELECT DISTINCT state FROM jobs`)).toEqual(['cancelled', 'completed', 'dead'])
  })

  it('leave nothing counted and the triggers on when a settle fails half-way', () => {
    const store = tempStore()
    fill(store)
    const claimed = store.claim({ owner: OWNER, limit: 10, now: T0, leaseMs: MINUTE }).jobs
    store.settle(
      claimed.slice(0, 5).map((each) => ok(each.id, T0)),
      OWNER,
    )
    // An output SQLite cannot bind, after four good results: the whole settle rolls back.
    const broken = { ...ok(claimed[9]!.id, T0), output: { not: 'text' } as unknown as string }
    expect(() => store.settle([...claimed.slice(5, 9).map((each) => ok(each.id, T0)), broken], OWNER)).toThrow()
    expect(store.db.prepare(`SELECT count(*) FROM jobs WHERE state = 'completed'`).pluck().get()).toBe(5)
    expectCountsAgree(store)
    expectFinishesAgree(store)
    // The triggers still count what other paths move.
    store.cancel(claimed[9]!.id, T0)
    expectCountsAgree(store)
    expectFinishesAgree(store)
  })
})
