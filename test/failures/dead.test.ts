/**
 * The dead-letter queue through the contract's operations (validated as any client's call
 * is) over a real SQLite store: filters, statistics, retry with fresh attempts and purge,
 * with the maintained counts checked against the table after each.
 */
import { describe, expect, it } from 'vitest'
import { createHandlers, invoke } from '../../src/main/operations'
import type { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { eventsOf, expectCountsAgree, job, row, T0, tempStore } from '../support/queue'
import { dead, failJobs } from './dying'

/**
 * Seven dead jobs over two batches, three categories and two providers, and one
 * completed job that no filter may touch.
 */
function deadLetters() {
  const store = tempStore()
  const first = failJobs(store, [
    { prompt: 'a', category: 'SERVICE_UNAVAILABLE', message: 'simulated 503', provider: 'sim' },
    { prompt: 'b', category: 'SERVICE_UNAVAILABLE', message: 'simulated 503', provider: 'openai' },
    { prompt: 'c', category: 'TIMEOUT', message: 'attempt timed out after 100 ms', provider: 'sim' },
    { prompt: 'd', category: 'VALIDATION', message: 'output is not JSON', provider: 'openai' },
  ])
  const second = failJobs(
    store,
    [
      { prompt: 'e', category: 'SERVICE_UNAVAILABLE', message: 'simulated 503', provider: 'sim' },
      { prompt: 'f', category: 'TIMEOUT', message: 'attempt timed out after 200 ms', provider: 'openai' },
      { prompt: 'g', category: 'SERVICE_UNAVAILABLE', message: 'simulated 503', provider: 'sim', overrides: { maxAttempts: 3 } },
    ],
    T0 + 10,
    'second',
  )
  // g has 3 attempts: two more failures spend them, and it dies too.
  const g = second[2]!
  for (const at of [T0 + 20, T0 + 30]) {
    store.claim({ owner: 'test', limit: 1, now: at, leaseMs: 1000 })
    store.settle([{ id: g, outcome: 'error', endedAt: at, category: 'SERVICE_UNAVAILABLE', message: 'simulated 503', retryable: true, retryAt: at }], 'test')
  }
  const { jobIds } = store.enqueue([job('ok')], 'third', T0)
  const { jobs } = store.claim({ owner: 'test', limit: 1, now: T0 + 40, leaseMs: 1000 })
  store.settle([{ id: jobs[0]!.id, outcome: 'ok', endedAt: T0 + 40, output: 'fine', inputTokens: 1, outputTokens: 1 }], 'test')
  const handlers = createHandlers(store)
  return { store, call: (name: Parameters<typeof invoke>[1], input: unknown) => invoke(handlers, name, input), first, second, completed: jobIds[0]! }
}

const ids = (jobs: { id: number }[]) => jobs.map((j) => j.id)

function expectFresh(store: SqliteQueueStore, id: number) {
  expect(row(store, id)).toMatchObject({ state: 'queued', attempts_made: 0, stalled_count: 0, last_error: null, error_category: null, finished_at: null })
  expect(eventsOf(store, id).at(-1)).toBe('dead>queued')
}

describe('the dead-letter queue', () => {
  it('lists dead jobs newest first with the category they died of, filtered by category, provider and batch', async () => {
    const { call, first, second } = deadLetters()
    const all = (await call('listDead', {})) as { jobs: { id: number; errorCategory: string; lastError: string; attemptsMade: number }[] }
    expect(ids(all.jobs)).toEqual([...first, ...second].reverse())
    expect(all.jobs[0]).toMatchObject({ errorCategory: 'SERVICE_UNAVAILABLE', lastError: 'simulated 503', attemptsMade: 3, state: 'dead' })

    const list = async (input: unknown) => ids(((await call('listDead', input)) as { jobs: { id: number }[] }).jobs)
    expect(await list({ category: 'TIMEOUT' })).toEqual([second[1], first[2]])
    expect(await list({ provider: 'openai' })).toEqual([second[1], first[3], first[1]])
    expect(await list({ batchId: 2 })).toEqual([...second].reverse())
    expect(await list({ category: 'SERVICE_UNAVAILABLE', provider: 'sim' })).toEqual([second[2], second[0], first[0]])
    expect(await list({ category: 'SERVICE_UNAVAILABLE', provider: 'sim', batchId: 1 })).toEqual([first[0]])
    // Keyset paging: the next page starts below the last id seen.
    expect(await list({ limit: 2 })).toEqual([second[2], second[1]])
    expect(await list({ limit: 2, beforeId: second[1] })).toEqual([second[0], first[3]])
  })

  it('refuses a filter it cannot mean, naming the field', async () => {
    const { call } = deadLetters()
    await expect(call('listDead', { category: 'TIMEOUTS' })).rejects.toThrow(/listDead: category: Invalid option: expected one of "TIMEOUT"\|/)
    await expect(call('listDead', { batchId: 0 })).rejects.toThrow(/listDead: batchId: /)
  })

  it('counts dead jobs by category and by provider, most first', async () => {
    const { call } = deadLetters()
    expect(await call('deadStats', {})).toEqual({
      total: 7,
      byCategory: [
        { category: 'SERVICE_UNAVAILABLE', count: 4 },
        { category: 'TIMEOUT', count: 2 },
        { category: 'VALIDATION', count: 1 },
      ],
      byProvider: [
        { provider: 'sim', count: 4 },
        { provider: 'openai', count: 3 },
      ],
    })
  })

  it('retries by filter with fresh attempts, touching nothing else, and keeps the counts right', async () => {
    const { store, call, first, second } = deadLetters()
    expect(await call('retryDead', { category: 'SERVICE_UNAVAILABLE', provider: 'sim' })).toEqual({ retried: 3 })
    for (const id of [first[0]!, second[0]!, second[2]!]) expectFresh(store, id)
    // g had spent all 3 attempts: it gets the whole 3 again.
    expect(row(store, second[2]!)).toMatchObject({ max_attempts: 3, attempts_made: 0 })
    expect(dead(store)).toEqual([first[1], first[2], first[3], second[1]])
    expect(row(store, first[1]!).state).toBe('dead')
    expectCountsAgree(store)

    expect(await call('retryDead', { batchId: 2 })).toEqual({ retried: 1 })
    expect(dead(store)).toEqual([first[1], first[2], first[3]])
    expect(await call('retryDead', { ids: [first[1], first[0], 999] })).toEqual({ retried: 1 })
    expectCountsAgree(store)
    expect(store.stats(T0 + 100).counts).toMatchObject({ queued: 5, dead: 2, completed: 1 })
  })

  it('still retries one job by id, or all of them', async () => {
    const { store, call, first, completed } = deadLetters()
    expect(await call('retryDead', { id: first[3] })).toEqual({ retried: 1 })
    expectFresh(store, first[3]!)
    await expect(call('retryDead', { id: completed })).rejects.toThrow(`job ${completed} is completed: only dead jobs can be retried here`)
    expect(await call('retryDead', { all: true })).toEqual({ retried: 6 })
    expect(dead(store)).toEqual([])
    expect(row(store, completed).state).toBe('completed')
    expectCountsAgree(store)
  })

  it('asks for exactly one way of saying which dead jobs', async () => {
    const { call } = deadLetters()
    const message = /retryDead: say which dead jobs: an id, ids, all: true, or a filter \(category, provider, batchId\), exactly one of these/
    await expect(call('retryDead', {})).rejects.toThrow(message)
    await expect(call('retryDead', { all: true, category: 'TIMEOUT' })).rejects.toThrow(message)
    await expect(call('retryDead', { id: 1, ids: [2] })).rejects.toThrow(message)
    await expect(call('purgeDead', {})).rejects.toThrow(/purgeDead: say which dead jobs/)
    await expect(call('retryDead', { all: false })).rejects.toThrow(/retryDead: all: /)
  })

  it('purges by filter, by id and all, with their attempts and events, and keeps the counts right', async () => {
    const { store, call, first, second, completed } = deadLetters()
    const groupsBefore = store.listFailureGroups({ limit: 50 })
    expect(await call('purgeDead', { category: 'TIMEOUT' })).toEqual({ removed: 2 })
    expect(dead(store)).toEqual([first[0], first[1], first[3], second[0], second[2]])
    expect(store.db.prepare('SELECT count(*) FROM job_attempts WHERE job_id IN (?, ?)').pluck().get(first[2], second[1])).toBe(0)
    expectCountsAgree(store)

    expect(await call('purgeDead', { id: first[0] })).toEqual({ removed: 1 })
    await expect(call('purgeDead', { id: first[0] })).rejects.toThrow(`job ${first[0]} does not exist`)
    await expect(call('purgeDead', { id: completed })).rejects.toThrow(`job ${completed} is completed: only dead jobs can be purged`)
    expect(await call('purgeDead', { all: true })).toEqual({ removed: 4 })
    expect(dead(store)).toEqual([])
    expect(row(store, completed).state).toBe('completed')
    expectCountsAgree(store)
    // The groups are the history of what failed: purging its jobs leaves them.
    expect(store.listFailureGroups({ limit: 50 })).toEqual(groupsBefore)
  })

  it('works through more dead jobs than one slice, each visited once', () => {
    const store = tempStore()
    const many = failJobs(
      store,
      Array.from({ length: 4500 }, (_, i) => ({ prompt: `p${i}`, category: i % 2 ? 'TIMEOUT' : 'NETWORK', message: 'x' })),
    )
    expect(store.retryDead({ where: { category: 'TIMEOUT' } }, T0 + 1)).toBe(2250)
    expect(store.db.prepare(`SELECT count(*) FROM job_events WHERE from_state = 'dead' AND to_state = 'queued'`).pluck().get()).toBe(2250)
    expect(store.purgeDead({ ids: many })).toBe(2250)
    expectCountsAgree(store)
    expect(store.stats(T0 + 1).counts).toMatchObject({ queued: 2250, dead: 0 })
  })
})
