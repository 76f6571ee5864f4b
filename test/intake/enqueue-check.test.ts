/**
 * enqueueJobs through the contract on a real SQLite queue: the profiles are read only when a
 * job runs on one, and a job that names a profile, directly or through the call's defaults,
 * is still checked against the profiles saved; a call is all or nothing either way.
 */
import { describe, expect, it } from 'vitest'
import { OperationError, type OperationInput } from '../../src/shared/contract'
import { createHandlers, invoke } from '../../src/main/operations'
import { tempStore } from '../support/queue'

function setUp() {
  const store = tempStore()
  const handlers = createHandlers(store)
  const enqueue = (input: OperationInput<'enqueueJobs'>) => invoke(handlers, 'enqueueJobs', input)
  return { store, handlers, enqueue }
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(OperationError)
  return (error as OperationError).message
}

describe('enqueueJobs checks jobs against the profiles they run on', () => {
  it('refuses a job naming a profile that does not exist, naming the job, and enqueues nothing of the call', async () => {
    const { store, enqueue } = setUp()
    const message = await refusal(enqueue({ jobs: [{ prompt: 'a' }, { prompt: 'b', provider: 'nobody' }] }))
    expect(message).toMatch(/^nothing enqueued: job 2: unknown provider or profile "nobody"/)
    expect(store.stats(Date.now()).counts.queued).toBe(0)
  })

  it('takes a job on a saved profile, and checks one the defaults send there', async () => {
    const { store, handlers, enqueue } = setUp()
    await invoke(handlers, 'saveProvider', { name: 'team', provider: 'sim', model: 'sim-large' })
    const { jobIds } = await enqueue({ jobs: [{ prompt: 'a', provider: 'team' }, { prompt: 'b' }] })
    expect(jobIds).toHaveLength(2)
    // Only the defaults name the profile here: its check still applies.
    const message = await refusal(enqueue({ jobs: [{ prompt: 'c' }], defaults: { provider: 'team', config: { baseUrl: 'http://127.0.0.1:9/' } } }))
    expect(message).toMatch(/job 1: config\.baseUrl: a job cannot redirect profile "team"/)
    expect(store.stats(Date.now()).counts.queued).toBe(2)
  })

  it('answers a known idempotency key with the existing job, one call after another', async () => {
    const { store, enqueue } = setUp()
    const first = await enqueue({ jobs: [{ prompt: 'a', idempotencyKey: 'k' }] })
    const again = await enqueue({ jobs: [{ prompt: 'a again', idempotencyKey: 'k' }] })
    expect(again).toEqual({ batchId: first.batchId + 1, jobIds: first.jobIds, duplicates: 1 })
    expect(store.stats(Date.now()).counts.queued).toBe(1)
  })
})
