/**
 * A deadline moves what a provider batch has not answered to the real-time lane, in the
 * order that pays each line once: cancel the batch, wait for its final state, settle what
 * it finished, then requeue the rest, which the scheduler runs one request each. The fake
 * OpenAI batch server answers real-time requests too, so every provider call is counted.
 */
import { describe, expect, it } from 'vitest'
import { startFakeOpenAIBatches } from '../support/fake-openai-batches'
import { tempDir } from '../support/temp'
import { closedAfterEach, KINDS, laneEngine, readRows, saveBatchProfile, settledAll } from './support'

const opened = closedAfterEach()

describe('a batch-lane deadline', () => {
  it('cancels the provider batch, keeps what it finished and runs only the rest in real time', async () => {
    const fake = opened(await startFakeOpenAIBatches())
    // The provider sits on the batch; it will have answered two lines by the time it is cancelled.
    fake.book.hold = true
    fake.book.finishedEarly = 2
    const dataDir = tempDir()
    const engine = opened(await laneEngine(dataDir))
    await saveBatchProfile(engine, KINDS[0]!, fake)
    const prompts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon']
    await engine.call('enqueueJobs', {
      jobs: prompts.map((prompt) => ({ prompt, provider: 'batchy', config: { lane: 'batch', deadlineMs: 300 } })),
      batchName: 'deadline',
    })
    await settledAll(engine)

    const cancels = fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/cancel'))
    expect(cancels).toHaveLength(1)
    // Every line paid once: five in the batch (two answered there), three in real time, nothing sent again.
    expect(fake.book.batches.size).toBe(1)
    expect(fake.book.linesUploaded).toBe(5)
    expect(fake.chatCalls).toBe(3)
    const jobs = readRows<{ state: string; output: string; lane: string; attempts_made: number }>(
      dataDir,
      'SELECT state, output, lane, attempts_made FROM jobs ORDER BY id',
    )
    expect(jobs).toEqual([
      { state: 'completed', output: 'Answer to: alpha', lane: 'batch', attempts_made: 1 },
      { state: 'completed', output: 'Answer to: beta', lane: 'batch', attempts_made: 1 },
      ...['gamma', 'delta', 'epsilon'].map(() => ({ state: 'completed', output: 'A real-time answer.', lane: 'realtime', attempts_made: 1 })),
    ])
    const batch = readRows<{ state: string; remote_status: string; succeeded: number; requeued: number }>(
      dataDir,
      'SELECT state, remote_status, succeeded, requeued FROM provider_batches',
    )
    expect(batch).toEqual([{ state: 'settled', remote_status: 'cancelled', succeeded: 2, requeued: 3 }])
    // The moved jobs' events say why.
    const moved = readRows<{ detail: string }>(dataDir, "SELECT detail FROM job_events WHERE from_state = 'submitted' AND to_state = 'queued'")
    expect(moved.map((event) => event.detail)).toEqual(Array(3).fill('its deadline passed: moved to the real-time lane'))
  })
})
