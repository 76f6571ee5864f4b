/**
 * What the metrics read from the store: the jobs a settle finished (with what labels them
 * and when they were enqueued), and the count of due jobs a gate holds, by the index.
 */
import { describe, expect, it } from 'vitest'
import { DUE_IN_TRACK, countHeldJobs } from '../../src/main/store/sqlite/queue/held'
import type { FinishedJob } from '../../src/main/queue/store'
import { job, T0, tempStore } from '../support/queue'

describe('settle', () => {
  it('hands over the jobs it completed or killed, with provider, model and enqueue time, and not those it requeued', () => {
    const store = tempStore()
    const { jobIds } = store.enqueue(
      [job('a', { provider: 'sim', model: 'm1' }), job('b', { maxAttempts: 1 }), job('c', { maxAttempts: 2 }), job('d')],
      'batch',
      T0 - 5000,
    )
    store.claim({ owner: 'o', limit: 10, now: T0, leaseMs: 60_000 })
    const error = (id: number) => ({
      id,
      outcome: 'error' as const,
      endedAt: T0 + 20,
      category: 'NETWORK',
      message: 'reset',
      retryable: true,
      retryAt: T0 + 30,
    })
    const finished: FinishedJob[] = []
    store.settle(
      [{ id: jobIds[0]!, outcome: 'ok', endedAt: T0 + 10, output: 'x', inputTokens: 1, outputTokens: 2 }, error(jobIds[1]!), error(jobIds[2]!)],
      'o',
      finished,
    )
    // Another owner's result changes nothing, and finishes nothing.
    store.settle([{ id: jobIds[3]!, outcome: 'ok', endedAt: T0, output: 'x', inputTokens: null, outputTokens: null }], 'someone-else', finished)
    expect(finished).toEqual([
      { id: jobIds[0], provider: 'sim', model: 'm1', outcome: 'completed', createdAt: T0 - 5000, finishedAt: T0 + 10 },
      { id: jobIds[1], provider: 'sim', model: null, outcome: 'dead', createdAt: T0 - 5000, finishedAt: T0 + 20 },
    ])
  })
})

describe('the held count', () => {
  const due = (store: ReturnType<typeof tempStore>) => store.stats(T0).counts.queued

  it('counts the due queued jobs of held tracks only', () => {
    const store = tempStore()
    store.enqueue([job('a1', { provider: 'a' }), job('a2', { provider: 'a' }), job('a3', { provider: 'a', runAt: T0 + 60_000 })], 'one', T0)
    store.enqueue([job('a4', { provider: 'a', model: 'big' }), job('b1', { provider: 'b' })], 'two', T0)
    const asked: string[] = []
    const held = countHeldJobs(
      store.db,
      (track) => {
        asked.push(`${track.provider}/${track.model ?? ''}/${track.batchId ?? ''}`)
        return track.provider === 'a'
      },
      T0,
      due(store),
    )
    // a1 and a2 (batch one) and a4 (model big, batch two): a3 is not due yet, b1 not held.
    expect(held).toBe(3)
    expect(asked).toEqual(['a//1', 'a/big/2', 'b//2'])
    expect(countHeldJobs(store.db, () => false, T0, due(store))).toBe(0)
    expect(countHeldJobs(store.db, () => true, T0, due(store))).toBe(4)
  })

  it('gives the same answer from either side when both are larger than a first budget', () => {
    const store = tempStore()
    const many = (provider: string, n: number) => Array.from({ length: n }, (_, i) => job(`${provider} ${i}`, { provider }))
    store.enqueue([...many('a', 5000), ...many('b', 9000), ...many('c', 30)], 'big', T0)
    expect(countHeldJobs(store.db, (track) => track.provider === 'a', T0, due(store))).toBe(5000)
    expect(countHeldJobs(store.db, (track) => track.provider !== 'a', T0, due(store))).toBe(9030)
    expect(countHeldJobs(store.db, (track) => track.provider === 'c', T0, due(store))).toBe(30)
  })

  it('searches the track index by track and time', () => {
    const store = tempStore()
    const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${DUE_IN_TRACK}`).all('a', '', 0, T0, 10) as { detail: string }[]).map((r) => r.detail).join('\n')
    expect(plan).toMatch(/SEARCH jobs USING INDEX jobs_ready_by_track \(provider=\? AND <expr>=\? AND <expr>=\? AND priority=\? AND run_at<\?\)/)
  })
})
