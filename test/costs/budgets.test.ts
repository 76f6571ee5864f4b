/** Budgets on a real SQLite file: what is spent and reserved against them, and each share told once a period. */
import { describe, expect, it } from 'vitest'
import { BudgetWatch } from '../../src/main/costs/budget-watch'
import { release, reserve } from '../../src/main/store/sqlite/costs/reservations'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { job, T0, tempStore } from '../support/queue'

const DAY = 86_400_000
const MIDNIGHT = Math.floor(T0 / DAY) * DAY

/** Runs one job of the batch (on `provider`) to completion at `at`, costing `usd` and `tokens`. */
function spend(store: SqliteQueueStore, batchId: number, usd: number, at: number, { provider = 'work', tokens = 2 } = {}): void {
  const id = store.enqueue([job('p', { runAt: at, provider })], `b${batchId}`, at).jobIds[0]!
  store.db.prepare('UPDATE jobs SET batch_id = ? WHERE id = ?').run(batchId, id)
  const { jobs } = store.claim({ owner: 'o', limit: 1, now: at, leaseMs: 60_000 })
  const cost = { providerKind: 'openai', model: 'gpt-4o', usd }
  store.settle([{ id: jobs[0]!.id, outcome: 'ok', endedAt: at, output: 'x', inputTokens: tokens / 2, outputTokens: tokens / 2, cost }], 'o')
}

const told = (store: SqliteQueueStore, at: number, held: number[] = []) =>
  store.costs.budgetNotices(at, held).map(({ budget, percent }) => `${budget.scope}${budget.target ? ` ${budget.target}` : ''} ${budget.unit} ${percent}%`)

describe('budgets', () => {
  it('tell 50, 80 and 100 % once a period, per day, batch, provider or profile, in USD or tokens', () => {
    const store = tempStore()
    const { batchId } = store.enqueue([], 'spending', MIDNIGHT)
    const day = { batchId: null, target: null } as const
    expect(() => store.costs.setBudget({ scope: 'batch', batchId: 999, target: null, unit: 'usd', limit: 1, action: 'pause' }, MIDNIGHT)).toThrow(
      /batch 999 does not exist/,
    )
    store.costs.setBudget({ scope: 'day', ...day, unit: 'usd', limit: 1, action: 'pause' }, MIDNIGHT)
    store.costs.setBudget({ scope: 'batch', batchId, target: null, unit: 'usd', limit: 0.5, action: 'alert' }, MIDNIGHT)
    store.costs.setBudget({ scope: 'provider', batchId: null, target: 'openai', unit: 'tokens', limit: 1000, action: 'alert' }, MIDNIGHT)
    store.costs.setBudget({ scope: 'profile', batchId: null, target: 'other', unit: 'usd', limit: 0.1, action: 'alert' }, MIDNIGHT)
    expect(store.costs.anyBudgets()).toBe(true)

    spend(store, batchId, 0.3, MIDNIGHT + 1000, { tokens: 600 })
    expect(told(store, MIDNIGHT + 1000)).toEqual(['batch usd 50%', 'provider openai tokens 50%'])
    spend(store, batchId, 0.3, MIDNIGHT + 2000, { tokens: 300 })
    expect(told(store, MIDNIGHT + 2000)).toEqual(['day usd 50%', 'batch usd 100%', 'provider openai tokens 80%'])
    // Told once: nothing new until more is spent.
    expect(told(store, MIDNIGHT + 3000)).toEqual([])
    spend(store, batchId, 0.3, MIDNIGHT + 4000, { tokens: 200 })
    expect(told(store, MIDNIGHT + 4000)).toEqual(['day usd 80%', 'provider openai tokens 100%'])
    const listed = store.costs.budgets(MIDNIGHT + 5000)
    expect(listed.find((b) => b.scope === 'provider')).toMatchObject({ target: 'openai', unit: 'tokens', limit: 1000, spent: 1100, crossedAt: MIDNIGHT + 4000 })
    expect(listed.find((b) => b.scope === 'profile')).toMatchObject({ target: 'other', spent: 0, crossedAt: null })

    // A budget the claims held jobs for is reached, whatever was spent.
    const dayId = store.db.prepare(`SELECT id FROM budgets WHERE scope = 'day'`).pluck().get() as number
    expect(told(store, MIDNIGHT + 6000, [dayId])).toEqual(['day usd 100%'])

    // The next day starts at nothing spent, and is told again.
    const tomorrow = MIDNIGHT + DAY
    expect(store.costs.budgets(tomorrow).find((b) => b.scope === 'day')).toMatchObject({ crossedAt: null, spent: 0 })
    spend(store, batchId, 0.6, tomorrow + 1000, { tokens: 10 })
    expect(told(store, tomorrow + 1000)).toEqual(['day usd 50%'])

    // A new limit starts over.
    store.costs.setBudget({ scope: 'batch', batchId, target: null, unit: 'usd', limit: 3, action: 'pause' }, tomorrow + 2000)
    expect(told(store, tomorrow + 2000)).toEqual(['batch usd 50%'])

    expect(store.costs.removeBudget({ scope: 'batch', batchId, target: null, unit: 'usd' })).toBe(true)
    expect(store.costs.removeBudget({ scope: 'batch', batchId, target: null, unit: 'usd' })).toBe(false)
    expect(store.costs.removeBudget({ scope: 'provider', batchId: null, target: 'openai', unit: 'usd' })).toBe(false)
    expect(store.costs.removeBudget({ scope: 'provider', batchId: null, target: 'openai', unit: 'tokens' })).toBe(true)
  })

  it('count what running attempts reserved, until settle books the real cost', () => {
    const store = tempStore()
    const { batchId, jobIds } = store.enqueue([job('a', { runAt: T0, provider: 'work' }), job('b', { runAt: T0, provider: 'work' })], 'b', T0)
    store.costs.setBudget({ scope: 'profile', batchId: null, target: 'work', unit: 'usd', limit: 1, action: 'pause' }, T0)
    const { jobs } = store.claim({ owner: 'o', limit: 2, now: T0, leaseMs: 60_000 })
    for (const claimed of jobs) reserve(store.db, claimed.id, T0, { provider: 'work', providerKind: 'openai', batchId, usd: 0.25, tokens: 100 })
    expect(store.costs.budgets(T0)[0]).toMatchObject({ spent: 0, reserved: 0.5 })
    const cost = { providerKind: 'openai', model: 'm', usd: 0.1 }
    store.settle([{ id: jobIds[0]!, outcome: 'ok', endedAt: T0 + 1, output: 'x', inputTokens: 1, outputTokens: 1, cost }], 'o')
    expect(store.costs.budgets(T0 + 1)[0]).toMatchObject({ spent: 0.1, reserved: 0.25 })
    // A job cancelled while it ran is not money about to be spent.
    store.cancel(jobIds[1]!, T0 + 2)
    expect(store.costs.budgets(T0 + 2)[0]).toMatchObject({ reserved: 0 })
    release(store.db, [jobIds[1]!])
  })

  it('the watch tells each share once, in words, and a reached budget that pauses says its jobs are held', async () => {
    const store = tempStore()
    const { batchId } = store.enqueue([], 'spending', MIDNIGHT)
    const done: string[] = []
    const watch = new BudgetWatch(store.costs, {
      notice: ({ level, message }) => done.push(`${level}: ${message}`),
      onError: (error) => done.push(`error: ${String(error)}`),
    })
    store.costs.setBudget({ scope: 'batch', batchId, target: null, unit: 'usd', limit: 0.5, action: 'pause' }, MIDNIGHT)
    store.costs.setBudget({ scope: 'day', batchId: null, target: null, unit: 'tokens', limit: 1000, action: 'alert' }, MIDNIGHT)
    spend(store, batchId, 0.3, MIDNIGHT + 1000, { tokens: 1200 })
    // Nothing is read until the watch knows budgets exist.
    await watch.check(MIDNIGHT + 1000)
    expect(done).toEqual([])
    await watch.reload()
    await watch.check(MIDNIGHT + 1000)
    await watch.check(MIDNIGHT + 1000)
    watch.heldFor(store.db.prepare(`SELECT id FROM budgets WHERE scope = 'batch'`).pluck().get() as number)
    await watch.check(MIDNIGHT + 2000)
    expect(done).toEqual([
      `info: batch ${batchId}'s budget is 50% used: $0.30 of $0.50 spent`,
      'warning: the day token budget is used up: 1,200 tokens of 1,000 tokens spent today (UTC)',
      `critical: batch ${batchId}'s budget is reached: $0.30 of $0.50 spent, $0.00 reserved by running attempts; ` +
        'jobs that could take it past its limit are held until it is raised or removed (genops costs budget)',
    ])
  })
})
