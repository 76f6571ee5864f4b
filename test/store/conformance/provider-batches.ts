/**
 * Conformance, the batch lane's port: due jobs a page at a time, out of the real-time claim's
 * sight; a take that moves only what is still queued; one poller a batch by its lease; lines
 * settled, sent back or billed once. Times are the clock's own: the PostgreSQL store judges a
 * batch's lease by the server's clock, so a test's far-off T0 would read every lease as live.
 */
import { describe, expect, it } from 'vitest'
import type { JobChange } from '../../../src/shared/contract'
import type { NewProviderBatch, ProviderBatchStore } from '../../../src/main/provider-batches/store'
import type { QueueCore } from '../../../src/main/store/queue-core'
import { claim, eventsOf, expectCounts, failed, failureOf, freshStore, job, ok, OTHER, OWNER, type StoreFactory } from './harness'

export type BatchLaneStore = QueueCore & { readonly providerBatches: ProviderBatchStore }

const LEASE_MS = 60_000

/** A provider batch of `owner`'s taking these jobs, one line each. */
function batchOf(jobIds: readonly number[], now: number, owner = OWNER, leaseMs = LEASE_MS): NewProviderBatch {
  return {
    provider: 'openai',
    kind: 'openai',
    model: 'gpt-4o',
    lines: jobIds.map((jobId) => ({ jobId, customId: `job-${jobId}-1` })),
    bytes: 100,
    deadlineAt: null,
    owner,
    now,
    leaseMs,
    firstPollAt: now,
  }
}

async function batchLaneJobs(store: BatchLaneStore, n: number, now: number): Promise<number[]> {
  const { jobIds } = await store.enqueue(
    Array.from({ length: n }, (_, i) => job(`batch ${i}`, { runAt: now - n + i, config: { lane: 'batch' } })),
    'lane',
    now,
  )
  return jobIds
}

const never = () => false

/** A take that must make a provider batch. */
async function takeBatch(store: BatchLaneStore, batch: NewProviderBatch): Promise<{ id: number; taken: Set<number>; changes: JobChange[] }> {
  const { id, taken, changes } = await store.providerBatches.take(batch)
  expect(id).not.toBeNull()
  return { id: id!, taken, changes }
}

export function providerBatchesConformance(factory: StoreFactory<BatchLaneStore>): void {
  it('gathers due batch-lane jobs in order a page at a time, which the real-time claim never takes', async () => {
    const { store } = await freshStore(factory)
    const now = Date.now()
    const ids = await batchLaneJobs(store, 3, now)
    const { jobIds: later } = await store.enqueue([job('later', { runAt: now + 60_000, config: { lane: 'batch' } })], 'later', now)
    const { jobIds: realtime } = await store.enqueue([job('now', { runAt: now - 10 })], 'realtime', now)
    expect((await store.providerBatches.dueJobs(now, 10)).map((each) => each.id)).toEqual(ids)
    expect((await claim(store, now)).jobs.map((each) => each.id)).toEqual(realtime)
    const first = await store.providerBatches.dueJobs(now, 2)
    expect(first.map((each) => each.id)).toEqual(ids.slice(0, 2))
    expect(first[0]).toMatchObject({ prompt: 'batch 0', config: { lane: 'batch' }, attemptsMade: 0, batchId: expect.any(Number) })
    const next = await store.providerBatches.dueJobs(now, 2, first.at(-1)!)
    expect(next.map((each) => each.id)).toEqual([ids[2]])
    expect(await store.providerBatches.dueJobs(now + 60_000, 10)).toHaveLength(4)
    expect(later).toHaveLength(1)
  })

  it('takes only what is still queued in the lane, counting and recording each move; another engine takes none of it again', async () => {
    const { store, another } = await freshStore(factory)
    const now = Date.now()
    const ids = await batchLaneJobs(store, 3, now)
    await store.cancel(ids[2]!, now)
    const { id, taken, changes } = await takeBatch(store, batchOf(ids, now))
    expect([...taken].sort((a, b) => a - b)).toEqual(ids.slice(0, 2))
    expect(changes).toEqual(ids.slice(0, 2).map((jobId) => ({ id: jobId, state: 'submitted', attemptsMade: 1 })))
    await expectCounts(store, now, { submitted: 2, cancelled: 1 })
    expect(await eventsOf(store, ids[0]!, now)).toEqual(['queued>submitted'])
    expect((await store.get(ids[0]!, now))!.providerBatch).toEqual({ id, remoteId: null, state: 'preparing', remoteStatus: null })
    const other = await another()
    // Nothing left to take: no provider batch is made.
    expect(await other.providerBatches.take(batchOf(ids, now, OTHER))).toEqual({ id: null, taken: new Set(), changes: [] })
    expect((await store.providerBatches.lines(id)).map((line) => [line.jobId, line.customId, line.attempt])).toEqual(
      ids.slice(0, 2).map((jobId) => [jobId, `job-${jobId}-1`, 1]),
    )
    // A submitted job is no stall and no claim's: it waits on its batch.
    expect((await claim(store, now)).jobs).toHaveLength(0)
  })

  it("lets one engine poll a batch: the owner's while its lease runs, another's once released or run out, a live upload never", async () => {
    const { store, another } = await freshStore(factory)
    const other = await another()
    const now = Date.now()
    const ids = await batchLaneJobs(store, 2, now)
    const { id } = await takeBatch(store, batchOf(ids.slice(0, 1), now))
    // Still uploading (preparing): neither its owner's poll nor another engine's takes it while the owner lives.
    expect(await store.providerBatches.leaseDue(OWNER, now, LEASE_MS, never)).toEqual([])
    expect(await other.providerBatches.leaseDue(OTHER, now, LEASE_MS, never)).toEqual([])
    await store.providerBatches.sent(id, 'batch_1', 'validating')
    expect((await store.providerBatches.leaseDue(OWNER, now, LEASE_MS, never)).map((batch) => [batch.id, batch.state, batch.remoteId])).toEqual([
      [id, 'sent', 'batch_1'],
    ])
    expect(await other.providerBatches.leaseDue(OTHER, now, LEASE_MS, never)).toEqual([])
    await store.providerBatches.releaseLeases(OWNER)
    expect((await other.providerBatches.leaseDue(OTHER, now, LEASE_MS, never)).map((batch) => batch.owner)).toEqual([OTHER])
    expect(await store.providerBatches.leaseDue(OWNER, now, LEASE_MS, never)).toEqual([])
    await other.providerBatches.polled(id, 'in_progress', now, now + LEASE_MS)
    // A batch whose lease ran out (a poller that stopped beating) goes to the next engine; one still preparing only from a dead owner.
    const { id: stale } = await takeBatch(store, batchOf(ids.slice(1), now, OWNER, -1000))
    expect(await other.providerBatches.leaseDue(OTHER, now, LEASE_MS, never)).toEqual([])
    const gone = (owner: string) => owner === OWNER
    expect((await other.providerBatches.leaseDue(OTHER, now, LEASE_MS, gone)).map((batch) => [batch.id, batch.state])).toEqual([[stale, 'preparing']])
  })

  it('settles lines from submitted once, and a late second result changes nothing', async () => {
    const { store } = await freshStore(factory)
    const now = Date.now()
    const ids = await batchLaneJobs(store, 2, now)
    const { id } = await takeBatch(store, batchOf(ids, now))
    const finished: unknown[] = []
    const results = [ok(ids[0]!, now + 10), failed(ids[1]!, { endedAt: now + 10, retryable: false })]
    const changes = await store.providerBatches.settle(id, results, finished as never)
    expect(changes.map((change) => change.state)).toEqual(['completed', 'dead'])
    expect(finished).toHaveLength(2)
    expect(await store.providerBatches.settle(id, results, [])).toEqual([])
    await expectCounts(store, now + 10, { completed: 1, dead: 1 })
    expect((await store.get(ids[0]!, now))!.attempts.map((attempt) => attempt.outcome)).toEqual(['ok'])
    expect(await store.providerBatches.hasOpenLines(id)).toBe(false)
  })

  it('sends unanswered lines back with their attempt given back, to the real-time lane when asked, and finishes the batch', async () => {
    const { store } = await freshStore(factory)
    const now = Date.now()
    const ids = await batchLaneJobs(store, 2, now)
    const { id } = await takeBatch(store, batchOf(ids, now))
    const back = await store.providerBatches.requeue(id, [ids[0]!], now, true, 'the batch expired')
    expect(back).toEqual([{ id: ids[0], state: 'queued', attemptsMade: 0 }])
    expect(await eventsOf(store, ids[0]!, now)).toEqual(['queued>submitted', 'submitted>queued'])
    expect((await claim(store, now)).jobs.map((each) => each.id)).toEqual([ids[0]])
    expect(await store.providerBatches.hasOpenLines(id)).toBe(true)
    await store.providerBatches.requeue(id, [ids[1]!], now, false, 'never sent')
    expect((await store.providerBatches.dueJobs(now, 10)).map((each) => each.id)).toEqual([ids[1]])
    expect(await store.providerBatches.hasOpenLines(id)).toBe(false)
    await store.providerBatches.finish(id, 'abandoned', now, 2, 'the upload failed')
    expect((await store.get(ids[1]!, now))!.providerBatch).toMatchObject({ id, state: 'abandoned' })
    expect(await store.providerBatches.leaseDue(OWNER, now, LEASE_MS, () => true)).toEqual([])
    await expectCounts(store, now, { queued: 1, active: 1 })
  })

  it("records batches of two profiles' endpoints that number them alike, and one engine keeps its lease while it settles", async () => {
    const { store } = await freshStore(factory)
    const now = Date.now()
    const ids = await batchLaneJobs(store, 2, now)
    const here = await takeBatch(store, { ...batchOf([ids[0]!], now), provider: 'here' })
    const there = await takeBatch(store, { ...batchOf([ids[1]!], now), provider: 'there' })
    await store.providerBatches.sent(here.id, 'batch_1', 'in_progress')
    await store.providerBatches.sent(there.id, 'batch_1', 'in_progress')
    expect((await store.providerBatches.leaseDue(OWNER, now, LEASE_MS, never)).map((batch) => [batch.provider, batch.remoteId])).toEqual([
      ['here', 'batch_1'],
      ['there', 'batch_1'],
    ])
    expect(await store.providerBatches.keepLease(here.id, OWNER, now, LEASE_MS)).toBe(true)
    expect(await store.providerBatches.keepLease(here.id, OTHER, now, LEASE_MS)).toBe(false)
    await store.providerBatches.finish(here.id, 'settled', now, 0)
    expect(await store.providerBatches.keepLease(here.id, OWNER, now, LEASE_MS)).toBe(false)
  })

  it('moves queued batch-lane jobs to the real-time lane, saying why', async () => {
    const { store } = await freshStore(factory)
    const now = Date.now()
    const ids = await batchLaneJobs(store, 2, now)
    expect(await store.providerBatches.toRealtime([ids[0]!], now, 'no batch API for this provider')).toEqual([{ id: ids[0], state: 'queued', attemptsMade: 0 }])
    expect((await claim(store, now)).jobs.map((each) => each.id)).toEqual([ids[0]])
    const events = (await store.get(ids[0]!, now))!.events
    expect(events[0]!.detail).toBe('to the real-time lane: no batch API for this provider')
  })

  describe('a job cancelled while its line waits', () => {
    it('has its line billed as its attempt when the provider answers it anyway, once', async () => {
      const { store } = await freshStore(factory)
      const now = Date.now()
      const ids = await batchLaneJobs(store, 1, now)
      const { id } = await takeBatch(store, batchOf(ids, now))
      await store.cancel(ids[0]!, now + 5)
      const line = { customId: `job-${ids[0]}-1`, endedAt: now + 50, costUsd: 0.001, inputTokens: 3, outputTokens: 5 }
      expect(await store.providerBatches.billCancelled(id, [line])).toBe(1)
      expect(await store.providerBatches.billCancelled(id, [line])).toBe(0)
      expect((await store.get(ids[0]!, now))!.attempts).toMatchObject([{ outcome: 'cancelled', inputTokens: 3, outputTokens: 5 }])
      // The answer is not the job's result: it stays cancelled.
      expect(await store.providerBatches.settle(id, [ok(ids[0]!, now + 60)], [])).toEqual([])
      await expectCounts(store, now, { cancelled: 1 })
    })

    it('stays until its batch ends: a delete is refused, clean and retention pass over it', async () => {
      const { store } = await freshStore(factory)
      const now = Date.now()
      const ids = await batchLaneJobs(store, 1, now)
      const { id } = await takeBatch(store, batchOf(ids, now))
      await store.cancel(ids[0]!, now)
      expect(await failureOf(() => store.remove(ids[0]!))).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('still open') })
      expect(await store.clean('cancelled', now + 1)).toBe(0)
      const keepNone = { maxAgeMs: 0, maxCount: 0 }
      expect(await store.applyRetention({ completed: keepNone, dead: keepNone, cancelled: keepNone }, now + 1)).toBe(0)
      await store.providerBatches.finish(id, 'settled', now, 0)
      expect(await store.clean('cancelled', now + 1)).toBe(1)
    })
  })
}
