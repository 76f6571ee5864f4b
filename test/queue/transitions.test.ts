import { afterEach, describe, expect, it } from 'vitest'
import { OperationError } from '../../src/shared/contract'
import { PRIORITY_RANK } from '../../src/shared/jobs'
import { eventsOf, expectCountsAgree, job, row, T0, tempStore } from '../support/queue'

const OWNER = 'test-host:1:owner'
const LEASE = 30_000
let store: ReturnType<typeof tempStore>

afterEach(() => expectCountsAgree(store))

function claim(now = T0, limit = 10, owner = OWNER) {
  return store.claim({ owner, limit, now, leaseMs: LEASE })
}

describe('enqueue', () => {
  it('adds queued jobs in one batch and counts them', () => {
    store = tempStore()
    const result = store.enqueue([job('a'), job('b')], 'two.jsonl', T0)
    expect(result).toEqual({ batchId: 1, jobIds: [1, 2], addedIds: [1, 2], duplicates: 0 })
    expect(store.stats(T0).counts).toMatchObject({ queued: 2, delayed: 0, active: 0 })
    expect(store.db.prepare('SELECT name, job_count FROM batches').get()).toEqual({ name: 'two.jsonl', job_count: 2 })
  })

  it('keeps the order of ids across many-row inserts, keyed jobs and a short tail', () => {
    store = tempStore()
    const jobs = Array.from({ length: 123 }, (_, i) => job(`p${i}`, { idempotencyKey: i % 40 === 7 ? `key-${i}` : null }))
    const { jobIds } = store.enqueue(jobs, 'b', T0)
    expect(jobIds).toEqual(Array.from({ length: 123 }, (_, i) => i + 1))
    const prompts = store.db.prepare('SELECT id, prompt, idempotency_key AS key FROM jobs ORDER BY id').all() as {
      id: number
      prompt: string
      key: string | null
    }[]
    expect(prompts.map((p) => p.prompt)).toEqual(jobs.map((j) => j.prompt))
    expect(prompts.filter((p) => p.key).map((p) => p.id)).toEqual([8, 48, 88])
  })

  it('returns the existing job for a known idempotency key instead of adding one', () => {
    store = tempStore()
    const first = store.enqueue([job('a', { idempotencyKey: 'k1' })], 'one', T0)
    const again = store.enqueue([job('a changed', { idempotencyKey: 'k1' }), job('b', { idempotencyKey: 'k2' }), job('b', { idempotencyKey: 'k2' })], 'two', T0)
    expect(again.jobIds[0]).toBe(first.jobIds[0])
    expect(again.jobIds[1]).toBe(again.jobIds[2])
    expect(again.duplicates).toBe(2)
    expect(store.stats(T0).counts.queued).toBe(2)
  })
})

describe('claim', () => {
  it('takes high before normal before low, oldest first within a priority', () => {
    store = tempStore()
    store.enqueue([job('low', { priority: PRIORITY_RANK.low }), job('normal 1'), job('high', { priority: PRIORITY_RANK.high }), job('normal 2')], 'b', T0)
    const order: string[] = []
    for (let i = 0; i < 4; i++) order.push(...claim(T0, 1).jobs.map((j) => j.prompt))
    expect(order).toEqual(['high', 'normal 1', 'normal 2', 'low'])
  })

  it('holds a delayed job until its run_at, showing it as delayed meanwhile', () => {
    store = tempStore()
    const [id] = store.enqueue([job('later', { runAt: T0 + 60_000 })], 'b', T0).jobIds
    expect(store.stats(T0).counts).toMatchObject({ queued: 0, delayed: 1 })
    expect(store.list({ state: 'delayed', limit: 10 }, T0).jobs.map((j) => j.id)).toEqual([id])
    expect(claim(T0).jobs).toEqual([])
    expect(claim(T0 + 60_000).jobs.map((j) => j.id)).toEqual([id])
  })

  it('moves a job to active under a lease, counts the attempt and records the transition', () => {
    store = tempStore()
    const [id] = store.enqueue([job('a', { config: { latencyMs: 5 } })], 'b', T0).jobIds
    const { jobs, changes } = claim()
    expect(jobs).toEqual([{ id, batchId: 1, provider: 'sim', model: null, prompt: 'a', config: { latencyMs: 5 }, attempt: 1, startedAt: T0, readyAt: T0 }])
    expect(changes).toEqual([{ id, state: 'active', attemptsMade: 1 }])
    expect(row(store, id!)).toMatchObject({ state: 'active', lease_owner: OWNER, lease_expires_at: T0 + LEASE, attempts_made: 1 })
    expect(eventsOf(store, id!)).toEqual(['queued>active'])
    expect(claim().jobs).toEqual([])
  })

  it('quarantines a job whose stored config no longer parses instead of failing the claim', () => {
    store = tempStore()
    const [bad, good] = store.enqueue([job('bad'), job('good')], 'b', T0).jobIds
    store.db.prepare(`UPDATE jobs SET config = '{not json' WHERE id = ?`).run(bad)
    expect(claim().jobs.map((j) => j.id)).toEqual([good])
    expect(row(store, bad!)).toMatchObject({ state: 'dead', error_category: 'VALIDATION' })
  })

  it('quarantines it too when the claim goes track by track (a gate holds something, or budgets are weighed)', () => {
    store = tempStore()
    const [bad, good] = store.enqueue([job('bad'), job('good')], 'b', T0).jobIds
    store.db.prepare(`UPDATE jobs SET config = '{not json' WHERE id = ?`).run(bad)
    const gate = () => ({ allowance: () => 10, admit: () => true })
    expect(store.claim({ owner: OWNER, limit: 10, now: T0, leaseMs: LEASE, gate }).jobs.map((j) => j.id)).toEqual([good])
    expect(row(store, bad!)).toMatchObject({ state: 'dead', error_category: 'VALIDATION' })
  })
})

describe('settle', () => {
  it('completes a job once, with its attempt and output', () => {
    store = tempStore()
    const [id] = store.enqueue([job('a')], 'b', T0).jobIds
    claim()
    const ok = { id: id!, outcome: 'ok' as const, endedAt: T0 + 50, output: 'text', inputTokens: 1, outputTokens: 2 }
    expect(store.settle([ok], OWNER)).toEqual([{ id, state: 'completed', attemptsMade: 1 }])
    expect(store.settle([ok], OWNER)).toEqual([])
    expect(row(store, id!)).toMatchObject({ state: 'completed', output: 'text', finished_at: T0 + 50, lease_owner: null })
    expect(store.get(id!, T0)!.attempts).toEqual([
      {
        number: 1,
        startedAt: T0,
        endedAt: T0 + 50,
        outcome: 'ok',
        errorCategory: null,
        error: null,
        inputTokens: 1,
        outputTokens: 2,
        ranOn: null,
        model: null,
        severity: null,
        stack: null,
      },
    ])
    expect(eventsOf(store, id!)).toEqual(['queued>active', 'active>completed'])
  })

  it('ignores a result from an owner that no longer holds the lease', () => {
    store = tempStore()
    const [id] = store.enqueue([job('a')], 'b', T0).jobIds
    claim()
    expect(store.settle([{ id: id!, outcome: 'ok', endedAt: T0, output: 'x', inputTokens: null, outputTokens: null }], 'someone-else')).toEqual([])
    expect(row(store, id!)).toMatchObject({ state: 'active' })
  })

  const failure = (id: number, retryable: boolean, at: number) => ({
    id,
    outcome: 'error' as const,
    endedAt: at,
    category: 'SERVICE_UNAVAILABLE',
    message: '503 from provider',
    retryable,
    retryAt: at + 1000,
  })

  it('requeues a retryable failure at its retry time until attempts run out, then it is dead', () => {
    store = tempStore()
    const [id] = store.enqueue([job('a', { maxAttempts: 2 })], 'b', T0).jobIds
    claim(T0)
    expect(store.settle([failure(id!, true, T0 + 10)], OWNER)).toEqual([{ id, state: 'delayed', attemptsMade: 1 }])
    expect(row(store, id!)).toMatchObject({ state: 'queued', run_at: T0 + 1010, last_error: '503 from provider', error_category: 'SERVICE_UNAVAILABLE' })
    expect(claim(T0 + 1009).jobs).toEqual([])
    expect(claim(T0 + 1010).jobs[0]!.attempt).toBe(2)
    expect(store.settle([failure(id!, true, T0 + 2000)], OWNER)).toEqual([{ id, state: 'dead', attemptsMade: 2 }])
    expect(row(store, id!)).toMatchObject({ state: 'dead', finished_at: T0 + 2000 })
    expect(eventsOf(store, id!)).toEqual(['queued>active', 'active>queued', 'queued>active', 'active>dead'])
  })

  it('sends a failure that is not retryable straight to dead', () => {
    store = tempStore()
    const [id] = store.enqueue([job('a')], 'b', T0).jobIds
    claim()
    expect(store.settle([failure(id!, false, T0)], OWNER)).toEqual([{ id, state: 'dead', attemptsMade: 1 }])
  })
})

describe('leases', () => {
  it('extends the leases this owner holds', () => {
    store = tempStore()
    store.enqueue([job('a'), job('b')], 'b', T0)
    claim()
    expect(store.extendLeases(OWNER, T0 + 99_000)).toBe(2)
    expect(store.extendLeases('other', T0 + 99_000)).toBe(0)
    expect(row(store, 1)).toMatchObject({ lease_expires_at: T0 + 99_000 })
  })

  it('requeues a job whose lease expired, counting the stall, and kills it past the limit', () => {
    store = tempStore()
    const [id] = store.enqueue([job('a')], 'b', T0).jobIds
    claim(T0)
    expect(store.recoverStalled({ now: T0 + LEASE - 1, maxStalled: 1 })).toEqual([])
    expect(store.recoverStalled({ now: T0 + LEASE + 1, maxStalled: 1 })).toEqual([{ id, state: 'queued', attemptsMade: 1 }])
    expect(row(store, id!)).toMatchObject({ state: 'queued', stalled_count: 1, lease_owner: null })
    claim(T0 + LEASE + 1)
    expect(store.recoverStalled({ now: T0 + 3 * LEASE, maxStalled: 1 })).toEqual([{ id, state: 'dead', attemptsMade: 2 }])
    expect(store.get(id!, T0)!.attempts.map((a) => a.outcome)).toEqual(['stalled', 'stalled'])
    // Each stall counts as a failed attempt in the rollups (the last one as dead), where the dashboard and the failure-rate alert read them.
    expect(
      store.db.prepare(`SELECT sum(attempts), sum(failed), sum(dead), sum(completed) FROM usage_rollups WHERE resolution = 1000 AND provider = ''`).raw().get(),
    ).toEqual([2, 1, 1, 0])
  })

  it('does not count a stall against the attempts for failures', () => {
    store = tempStore()
    const [id] = store.enqueue([job('a', { maxAttempts: 1 })], 'b', T0).jobIds
    claim(T0)
    store.recoverStalled({ now: T0, maxStalled: 3, deadOwners: [OWNER] })
    claim(T0)
    const ok = { id: id!, outcome: 'ok' as const, endedAt: T0, output: 'x', inputTokens: null, outputTokens: null }
    expect(store.settle([ok], OWNER)).toEqual([{ id, state: 'completed', attemptsMade: 2 }])
  })

  it('recovers at once the jobs of an owner known to be gone', () => {
    store = tempStore()
    store.enqueue([job('a')], 'b', T0)
    claim(T0)
    expect(store.leaseOwners()).toEqual([OWNER])
    expect(store.recoverStalled({ now: T0 + 1, maxStalled: 1, deadOwners: [OWNER] })).toHaveLength(1)
  })

  it('tells which in-flight jobs are no longer held by this owner', () => {
    store = tempStore()
    store.enqueue([job('a'), job('b')], 'b', T0)
    claim()
    store.cancel(2, T0)
    expect(store.lostLeases(OWNER, [1, 2])).toEqual([2])
  })
})

describe('operator actions', () => {
  it('cancels a queued job at once and an active one with a cancelled attempt', () => {
    store = tempStore()
    store.enqueue([job('a'), job('b')], 'b', T0)
    claim(T0, 1)
    expect(store.cancel(2, T0).wasActive).toBe(false)
    const active = store.cancel(1, T0 + 5)
    expect(active.wasActive).toBe(true)
    expect(active.job.state).toBe('cancelled')
    expect(store.get(1, T0)!.attempts.map((a) => a.outcome)).toEqual(['cancelled'])
    // The attempt's late result changes nothing.
    expect(store.settle([{ id: 1, outcome: 'ok', endedAt: T0 + 9, output: 'late', inputTokens: null, outputTokens: null }], OWNER)).toEqual([])
    expect(() => store.cancel(1, T0)).toThrow(OperationError)
    expect(() => store.cancel(99, T0)).toThrow('job 99 does not exist')
  })

  it('retries a dead job with fresh attempts, but not a completed one', () => {
    store = tempStore()
    store.enqueue([job('a', { maxAttempts: 1 }), job('b')], 'b', T0)
    claim()
    store.settle(
      [
        { id: 1, outcome: 'error', endedAt: T0, category: 'AUTH', message: '401', retryable: false, retryAt: T0 },
        { id: 2, outcome: 'ok', endedAt: T0, output: 'x', inputTokens: null, outputTokens: null },
      ],
      OWNER,
    )
    const { job: retried } = store.retry(1, T0 + 1, ['dead'])
    expect(retried).toMatchObject({ state: 'queued', attemptsMade: 0, lastError: null })
    expect(() => store.retry(2, T0, ['dead', 'cancelled'])).toThrow(/completed/)
  })

  it('retries every dead job, deletes a job with its history, refuses to delete a running one', () => {
    store = tempStore()
    store.enqueue([job('a'), job('b'), job('c')], 'b', T0)
    claim(T0, 2)
    const dead = (id: number) => ({ id, outcome: 'error' as const, endedAt: T0, category: 'AUTH', message: 'no', retryable: false, retryAt: T0 })
    store.settle([dead(1), dead(2)], OWNER)
    expect(store.retryAllDead(T0)).toBe(2)
    expect(store.remove(1)).toBe(true)
    expect(store.db.prepare('SELECT count(*) AS n FROM job_events WHERE job_id = 1').get()).toEqual({ n: 0 })
    claim(T0, 1)
    expect(() => store.remove(2)).toThrow(/cancel it before deleting/)
    expect(store.remove(1)).toBe(false)
  })

  it('persists pause for every process on the file', () => {
    store = tempStore()
    expect(store.isPaused()).toBe(false)
    store.setPaused(true)
    expect(store.stats(T0).paused).toBe(true)
    store.setPaused(false)
    expect(store.isPaused()).toBe(false)
  })
})

describe('retention', () => {
  function finish(count: number, at: number) {
    const ids = store.enqueue(
      Array.from({ length: count }, (_, i) => job(`j${i}`)),
      'b',
      at,
    ).jobIds
    claim(at, count)
    store.settle(
      ids.map((id) => ({ id, outcome: 'ok' as const, endedAt: at, output: 'x', inputTokens: null, outputTokens: null })),
      OWNER,
    )
    return ids
  }
  const rule = (maxCount: number, maxAgeMs: number) => ({ maxCount, maxAgeMs })

  it('removes completed jobs older than the age limit', () => {
    store = tempStore()
    finish(3, T0)
    const recent = finish(2, T0 + 10_000)
    const removed = store.applyRetention({ completed: rule(100, 5_000), dead: rule(100, 5_000), cancelled: rule(100, 5_000) }, T0 + 12_000)
    expect(removed).toBe(3)
    expect(store.list({ limit: 10 }, T0).jobs.map((j) => j.id)).toEqual([...recent].reverse())
  })

  it('keeps only the newest jobs past the count limit', () => {
    store = tempStore()
    const ids = finish(5, T0)
    expect(store.applyRetention({ completed: rule(2, 1e12), dead: rule(2, 1e12), cancelled: rule(2, 1e12) }, T0)).toBe(3)
    expect(store.list({ state: 'completed', limit: 10 }, T0).jobs.map((j) => j.id)).toEqual(ids.slice(3).reverse())
  })

  it('cleans a state on request', () => {
    store = tempStore()
    finish(4, T0)
    expect(store.clean('completed', T0 + 1)).toBe(4)
    expect(store.stats(T0).counts.completed).toBe(0)
  })
})
