/** Budgets on a real SQLite file: what is spent against them, and each crossing handed out once. */
import { describe, expect, it } from 'vitest'
import { BudgetWatch } from '../../src/main/costs/budget-watch'
import type { SqliteQueueStore } from '../../src/main/queue/sqlite'
import { job, T0, tempStore } from '../support/queue'

const DAY = 86_400_000
const MIDNIGHT = Math.floor(T0 / DAY) * DAY

/** Runs one job of the batch to completion at `at`, costing `usd`. */
function spend(store: SqliteQueueStore, batchId: number, usd: number, at: number): void {
  const id = store.enqueue([job('p', { runAt: at })], `b${batchId}`, at).jobIds[0]!
  store.db.prepare('UPDATE jobs SET batch_id = ? WHERE id = ?').run(batchId, id)
  const { jobs } = store.claim({ owner: 'o', limit: 1, now: at, leaseMs: 60_000 })
  store.settle(
    [{ id: jobs[0]!.id, outcome: 'ok', endedAt: at, output: 'x', inputTokens: 1, outputTokens: 1, cost: { providerKind: 'openai', model: 'gpt-4o', usd } }],
    'o',
  )
}

describe('budgets', () => {
  it('a day budget crosses once a UTC day, a batch budget once until it is set again', () => {
    const store = tempStore()
    const { batchId } = store.enqueue([], 'spending', MIDNIGHT)
    expect(() => store.costs.setBudget({ scope: 'batch', batchId: 999, limitUsd: 1, action: 'pause' }, MIDNIGHT)).toThrow(/batch 999 does not exist/)
    store.costs.setBudget({ scope: 'day', batchId: null, limitUsd: 1, action: 'pause' }, MIDNIGHT)
    store.costs.setBudget({ scope: 'batch', batchId, limitUsd: 0.5, action: 'alert' }, MIDNIGHT)
    expect(store.costs.anyBudgets()).toBe(true)

    spend(store, batchId, 0.4, MIDNIGHT + 1000)
    expect(store.costs.crossBudgets(MIDNIGHT + 1000)).toEqual([])
    spend(store, batchId, 0.4, MIDNIGHT + 2000)
    expect(store.costs.crossBudgets(MIDNIGHT + 2000)).toEqual([
      { scope: 'batch', batchId, limitUsd: 0.5, action: 'alert', spentUsd: expect.closeTo(0.8, 9) as number },
    ])
    spend(store, batchId, 0.4, MIDNIGHT + 3000)
    expect(store.costs.crossBudgets(MIDNIGHT + 3000)).toEqual([
      { scope: 'day', batchId: null, limitUsd: 1, action: 'pause', spentUsd: expect.closeTo(1.2, 9) as number },
    ])
    expect(store.costs.crossBudgets(MIDNIGHT + 4000)).toEqual([])
    expect(store.costs.budgets(MIDNIGHT + 4000)).toEqual([
      { scope: 'day', batchId: null, limitUsd: 1, action: 'pause', crossedAt: MIDNIGHT + 3000, spentUsd: expect.closeTo(1.2, 9) as number },
      { scope: 'batch', batchId, limitUsd: 0.5, action: 'alert', crossedAt: MIDNIGHT + 2000, spentUsd: expect.closeTo(1.2, 9) as number },
    ])

    // The next day starts at nothing spent: the day budget is not crossed until it is spent again.
    const tomorrow = MIDNIGHT + DAY
    expect(store.costs.budgets(tomorrow)[0]).toMatchObject({ crossedAt: null, spentUsd: 0 })
    expect(store.costs.crossBudgets(tomorrow)).toEqual([])
    spend(store, batchId, 1.5, tomorrow + 1000)
    expect(store.costs.crossBudgets(tomorrow + 1000).map((b) => b.scope)).toEqual(['day'])

    // A new limit for the batch can be crossed again.
    store.costs.setBudget({ scope: 'batch', batchId, limitUsd: 2, action: 'pause' }, tomorrow + 2000)
    expect(store.costs.crossBudgets(tomorrow + 2000)).toEqual([
      { scope: 'batch', batchId, limitUsd: 2, action: 'pause', spentUsd: expect.closeTo(2.7, 9) as number },
    ])

    expect(store.costs.removeBudget('batch', batchId)).toBe(true)
    expect(store.costs.removeBudget('batch', batchId)).toBe(false)
    expect(store.costs.removeBudget('day', null)).toBe(true)
    expect(store.costs.anyBudgets()).toBe(false)
  })

  it('the watch notices once, pausing the queue for a day budget and the batch for a batch budget', async () => {
    const store = tempStore()
    const { batchId } = store.enqueue([], 'spending', MIDNIGHT)
    const done: string[] = []
    const watch = new BudgetWatch(store.costs, {
      notice: ({ level, message }) => done.push(`${level}: ${message}`),
      pauseQueue: async () => void done.push('queue paused'),
      pauseBatch: async (id, reason) => void done.push(`batch ${id} paused: ${reason}`),
      onError: (error) => done.push(`error: ${String(error)}`),
    })
    store.costs.setBudget({ scope: 'batch', batchId, limitUsd: 0.5, action: 'pause' }, MIDNIGHT)
    store.costs.setBudget({ scope: 'day', batchId: null, limitUsd: 0.75, action: 'alert' }, MIDNIGHT)
    spend(store, batchId, 0.6, MIDNIGHT + 1000)
    // Nothing is read until the watch knows budgets exist.
    await watch.check(MIDNIGHT + 1000)
    expect(done).toEqual([])
    await watch.reload()
    await watch.check(MIDNIGHT + 1000)
    await watch.check(MIDNIGHT + 1000)
    spend(store, batchId, 0.6, MIDNIGHT + 2000)
    await watch.check(MIDNIGHT + 2000)
    expect(done).toEqual([
      `batch ${batchId} paused: budget of $0.50 crossed`,
      `critical: batch ${batchId} crossed its budget of $0.50: $0.60 spent; its jobs are held: \`genops batches resume ${batchId}\` starts them again`,
      'warning: daily budget of $0.75 crossed: $1.20 spent today (UTC)',
    ])
  })
})
