/**
 * The batch lane's store on a team database, driven through its API by two stores (two
 * engines) on one PostgreSQL database, as the world races it:
 *
 * - an engine gathers from a read of the due jobs that is stale by the time it takes them:
 *   a job another engine sent and that failed with a backoff must wait out its backoff, not
 *   go into a second provider batch at once;
 * - the operator's delete, clean (and retention) of cancelled jobs while a cancelled job's line still
 *   waits in an open provider batch: the provider answers that line and bills it, and the
 *   bill must still reach the rollups and budgets (the delete is refused until the batch ends;
 *   clean and retention pass over the job).
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { job } from '../../store/conformance/harness'
import { postgresServer } from '../../support/postgres'

const server = await postgresServer()

async function storeOn(url: string): Promise<PostgresQueueStore> {
  const store = await PostgresQueueStore.open(url)
  onTestFinished(() => store.close())
  return store
}

const batchOf = (ids: readonly number[], owner: string, now: number) => ({
  provider: 'batchy',
  kind: 'openai' as const,
  model: 'gpt-4o',
  lines: ids.map((jobId) => ({ jobId, customId: `job-${jobId}-1` })),
  bytes: 10,
  deadlineAt: null,
  owner,
  now,
  leaseMs: 60_000,
  firstPollAt: now,
})

describe.skipIf(!server)('the batch lane store raced by two engines', () => {
  it('does not take a job into a second provider batch while it backs off from a failed first one', async () => {
    const url = await server!.freshDatabase()
    const first = await storeOn(url)
    const second = await storeOn(url)
    const now = Date.now()
    const {
      jobIds: [id],
    } = await first.enqueue([job('x', { provider: 'batchy', runAt: now - 1, config: { lane: 'batch' }, maxAttempts: 3 })], 'b', now)

    // Both engines gather at once and read the same due job.
    const [seenBySecond] = await second.providerBatches.dueJobs(now, 10)
    expect(seenBySecond!.id).toBe(id)
    // The first takes it; its upload is refused, a retryable failure: the job backs off for a minute.
    const taken = await first.providerBatches.take(batchOf([id!], 'engine-1', now))
    expect([...taken.taken]).toEqual([id])
    const retryAt = now + 60_000
    await first.providerBatches.settle(
      taken.id!,
      [{ id: id!, attempt: 1, outcome: 'error', category: 'RATE_LIMIT', message: 'slow down', retryable: true, retryAt, endedAt: now }] as never,
      [],
    )
    const backingOff = await first.get(id!, now)
    expect(backingOff).toMatchObject({ state: 'delayed', attemptsMade: 1 })

    // The second engine now takes what it read before: the job is not due for a minute.
    const late = await second.providerBatches.take(batchOf([seenBySecond!.id], 'engine-2', now))
    expect([...late.taken]).toEqual([])
    expect((await second.get(id!, now))!.state).toBe('delayed')
  })

  it.each([
    // The delete is refused until the batch ends; clean and retention pass over the job.
    [
      'delete',
      async (store: PostgresQueueStore, _now: number, id: number) =>
        expect(store.remove(id)).rejects.toThrow(`job ${id} was cancelled while its line waited in a provider batch that is still open`),
    ],
    ['clean', async (store: PostgresQueueStore, now: number) => expect(await store.clean('cancelled', now + 1)).toBe(0)],
    [
      'retention',
      async (store: PostgresQueueStore, now: number) =>
        expect(await store.applyRetention({ cancelled: { maxAgeMs: 0, maxCount: 0 } } as never, now + 1)).toBe(0),
    ],
  ])('still bills a cancelled job’s answered line when the operator’s %s comes while its provider batch is open', async (_, remove) => {
    const url = await server!.freshDatabase()
    const first = await storeOn(url)
    const operator = await storeOn(url)
    const now = Date.now()
    const { jobIds } = await first.enqueue(
      ['x', 'y'].map((prompt) => job(prompt, { provider: 'batchy', runAt: now - 1, config: { lane: 'batch' } })),
      'b',
      now,
    )
    const taken = await first.providerBatches.take(batchOf(jobIds, 'engine-1', now))
    await first.providerBatches.sent(taken.id!, 'batch_remote_1', 'in_progress')
    // The operator cancels one line's job on another engine, then deletes it (or clean or retention comes for cancelled jobs).
    await operator.cancel(jobIds[1]!, now)
    await remove(operator, now, jobIds[1]!)
    // The provider answered the cancelled line all the same, and bills it: the engine settling the batch records that bill.
    const billed = await first.providerBatches.billCancelled(taken.id!, [
      { customId: `job-${jobIds[1]}-1`, endedAt: now + 10, costUsd: 0.25, inputTokens: 100, outputTokens: 50 },
    ])
    expect(billed).toBe(1)
  })
})
