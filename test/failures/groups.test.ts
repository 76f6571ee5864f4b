/**
 * Failure groups fed by the store's real settle and stall recovery, and the regression set
 * pinned from them.
 */
import { describe, expect, it } from 'vitest'
import { OperationError } from '../../src/shared/contract'
import { FLAG_AT, GROUP_SAMPLES } from '../../src/shared/failures'
import { fingerprint } from '../../src/main/failures/fingerprint'
import { failAgain, failJobs } from './dying'
import { job, T0, tempStore } from '../support/queue'

const sameShape = (n: number) => ({ category: 'PROVIDER', message: `request ${4700 + n} to "/v1/chat/${n}" failed after ${1000 * n} ms` })

describe('failure groups', () => {
  it('groups three same-shaped failures with different numbers into one flagged group', () => {
    const store = tempStore()
    const ids = failJobs(store, [
      { prompt: 'a', ...sameShape(1) },
      { prompt: 'b', ...sameShape(2) },
      { prompt: 'c', ...sameShape(3) },
      { prompt: 'd', category: 'TIMEOUT', message: 'attempt 1 timed out after 30000 ms' },
    ])
    const groups = store.listFailureGroups({ limit: 10 })
    expect(groups).toHaveLength(2)
    const provider = groups.find((g) => g.category === 'PROVIDER')!
    expect(provider).toMatchObject({
      fingerprint: fingerprint('PROVIDER', 'request 1 to "x" failed after 2 ms').fingerprint,
      pattern: 'request <n> to <str> failed after <n> ms',
      count: 3,
      firstSeen: T0 + 1,
      lastSeen: T0 + 1,
      sampleJobIds: ids.slice(0, 3),
      flagged: true,
      pinnedAt: null,
      cases: 0,
    })
    expect(groups.find((g) => g.category === 'TIMEOUT')).toMatchObject({ count: 1, flagged: false })
    expect(store.listFailureGroups({ limit: 10, flagged: true }).map((g) => g.category)).toEqual(['PROVIDER'])
  })

  it('counts every failed attempt, not only the last, and keeps first and last seen', () => {
    const store = tempStore()
    const [id] = failJobs(store, [{ prompt: 'a', maxAttempts: 3, ...sameShape(1) }], T0)
    failAgain(store, [id!], [sameShape(2)], T0 + 1000)
    const [group] = store.listFailureGroups({ limit: 10 })
    expect(group).toMatchObject({ count: 2, firstSeen: T0 + 1, lastSeen: T0 + 1001, sampleJobIds: [id], flagged: FLAG_AT <= 2 })
  })

  it(`keeps the ${GROUP_SAMPLES} most recent distinct sample jobs`, () => {
    const store = tempStore()
    const ids = failJobs(
      store,
      Array.from({ length: 8 }, (_, i) => ({ prompt: `p${i}`, ...sameShape(i) })),
    )
    const [group] = store.listFailureGroups({ limit: 10 })
    expect(group!.count).toBe(8)
    expect(group!.sampleJobIds).toEqual(ids.slice(-GROUP_SAMPLES))
  })

  it('counts attempts that stalled (their lease ran out) as TIMEOUT failures', () => {
    const store = tempStore()
    store.enqueue([job('a'), job('b')], 'b', T0)
    store.claim({ owner: 'gone', limit: 10, now: T0, leaseMs: 1000 })
    store.recoverStalled({ now: T0 + 5000, maxStalled: 2 })
    const [group] = store.listFailureGroups({ limit: 10 })
    expect(group).toMatchObject({ category: 'TIMEOUT', count: 2, pattern: 'its lease expired: the process running it stopped or hung', lastSeen: T0 + 5000 })
  })

  it('records nothing for a result that lost its lease (the job was cancelled meanwhile)', () => {
    const store = tempStore()
    const { jobIds } = store.enqueue([job('a')], 'b', T0)
    store.claim({ owner: 'test', limit: 1, now: T0, leaseMs: 1000 })
    store.cancel(jobIds[0]!, T0)
    store.settle([{ id: jobIds[0]!, outcome: 'error', endedAt: T0, category: 'NETWORK', message: 'reset', retryable: true, retryAt: T0 }], 'test')
    expect(store.listFailureGroups({ limit: 10 })).toEqual([])
  })
})

describe('pinning a group as regression cases', () => {
  function flaggedGroup() {
    const store = tempStore()
    const ids = failJobs(store, [
      { prompt: 'a', ...sameShape(1), overrides: { model: 'm1', priority: 0, tags: ['nightly'], config: { temperature: 0.2 }, maxAttempts: 1 } },
      { prompt: 'b', ...sameShape(2) },
      { prompt: 'c', ...sameShape(3), overrides: { idempotencyKey: 'once' } },
    ])
    const [group] = store.listFailureGroups({ limit: 1 })
    return { store, ids, key: group!.fingerprint }
  }

  it('copies the failing jobs’ specs, everything needed to enqueue them again', () => {
    const { store, ids, key } = flaggedGroup()
    const { group, added } = store.pinFailureGroup(key, T0 + 5)
    expect(added).toBe(3)
    expect(group).toMatchObject({ pinnedAt: T0 + 5, cases: 3 })
    const cases = store.listRegressions(T0 + 5)
    expect(cases.map((c) => c.sourceJobId)).toEqual(ids)
    expect(cases[0]).toMatchObject({
      fingerprint: key,
      category: 'PROVIDER',
      pattern: 'request <n> to <str> failed after <n> ms',
      spec: { prompt: 'a', provider: 'sim', model: 'm1', priority: 'high', attempts: 1, tags: ['nightly'], config: { temperature: 0.2 } },
      problem: null,
      createdAt: T0 + 5,
      lastRun: null,
    })
    // No idempotency key: a regression run makes a new job instead of naming the old one.
    expect(cases[2]!.spec).toEqual({ prompt: 'c', provider: 'sim', priority: 'normal', attempts: 1 })
  })

  it('copies nothing twice when pinned again, and keeps the first pin time', () => {
    const { store, key } = flaggedGroup()
    store.pinFailureGroup(key, T0 + 5)
    const again = store.pinFailureGroup(key, T0 + 9)
    expect(again.added).toBe(0)
    expect(again.group).toMatchObject({ pinnedAt: T0 + 5, cases: 3 })
  })

  it('copies only the sample jobs that still exist, and refuses when none does', () => {
    const { store, ids, key } = flaggedGroup()
    store.purgeDead({ ids: ids.slice(0, 2) })
    expect(store.pinFailureGroup(key, T0).added).toBe(1)

    const other = flaggedGroup()
    other.store.purgeDead({ where: {} })
    expect(() => other.store.pinFailureGroup(other.key, T0)).toThrow(/none of the sample jobs of failure group \w+ \(jobs 1, 2, 3\) exists any more/)
  })

  it('refuses a group not yet flagged, and one that does not exist, saying why', () => {
    const store = tempStore()
    failJobs(store, [{ prompt: 'a', ...sameShape(1) }])
    const [group] = store.listFailureGroups({ limit: 1 })
    const refusal = (() => {
      try {
        store.pinFailureGroup(group!.fingerprint, T0)
      } catch (error) {
        return error as OperationError
      }
    })()
    expect(refusal).toBeInstanceOf(OperationError)
    expect(refusal!.code).toBe('CONFLICT')
    expect(refusal!.message).toBe(`failure group ${group!.fingerprint} was seen 1 time: a group can be pinned once it is seen ${FLAG_AT} times`)
    expect(() => store.pinFailureGroup('0000000000000000', T0)).toThrow('no failure group has the fingerprint 0000000000000000')
  })

  it('reports a case whose stored spec no longer parses instead of failing the list', () => {
    const { store, key } = flaggedGroup()
    store.pinFailureGroup(key, T0)
    store.db.prepare(`UPDATE regression_cases SET spec = '{"prompt": ""}' WHERE id = 2`).run()
    store.db.prepare(`UPDATE regression_cases SET spec = 'not json' WHERE id = 3`).run()
    const cases = store.listRegressions(T0)
    expect(cases[0]!.spec).not.toBeNull()
    expect(cases[1]).toMatchObject({ spec: null, problem: 'the stored spec does not parse: prompt: prompt is empty' })
    expect(cases[2]).toMatchObject({ spec: null, problem: 'the stored spec is not JSON' })
  })

  it('reads a case’s latest result from the state of the job it last ran as', () => {
    const { store, key } = flaggedGroup()
    store.pinFailureGroup(key, T0)
    const { jobIds } = store.enqueue([job('a'), job('b'), job('c')], 'regressions', T0)
    store.noteRegressionRun(
      jobIds.map((jobId, i) => ({ caseId: i + 1, jobId })),
      T0 + 10,
    )
    const { jobs } = store.claim({ owner: 'test', limit: 2, now: T0 + 20, leaseMs: 1000 })
    store.settle(
      [
        { id: jobs[0]!.id, outcome: 'ok', endedAt: T0 + 30, output: 'fine', inputTokens: 1, outputTokens: 1 },
        { id: jobs[1]!.id, outcome: 'error', endedAt: T0 + 30, category: 'PROVIDER', message: 'still broken', retryable: false, retryAt: T0 },
      ],
      'test',
    )
    const runs = store.listRegressions(T0 + 40).map((c) => c.lastRun)
    expect(runs[0]).toEqual({ jobId: jobIds[0], at: T0 + 10, outcome: 'passed', state: 'completed', errorCategory: null, error: null })
    expect(runs[1]).toEqual({ jobId: jobIds[1], at: T0 + 10, outcome: 'failed', state: 'dead', errorCategory: 'PROVIDER', error: 'still broken' })
    expect(runs[2]).toMatchObject({ outcome: 'running', state: 'queued' })
    store.remove(jobIds[2]!)
    expect(store.listRegressions(T0 + 40)[2]!.lastRun).toMatchObject({ outcome: 'removed', state: null })
  })
})
