/**
 * A provider batch outlives its engine: closed while the batch is in progress, a new
 * engine on the same data directory polls it to the end and uploads nothing again; the
 * hours a batch may take are no stall (its jobs are held by the batch's record, not a
 * lease). An expired batch keeps what it finished and sends the rest again.
 */
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'
import { closedAfterEach, KINDS, laneEngine, readRows, saveBatchProfile, settledAll } from './support'

const opened = closedAfterEach()

const batchRow = (dataDir: string) =>
  readRows<{ state: string; polls: number; owner: string | null }>(dataDir, 'SELECT state, polls, owner FROM provider_batches ORDER BY id')

describe.each(KINDS)('a provider batch on $kind across a restart', (kind) => {
  it('is polled by the next engine, never uploaded twice, and never taken for a stall', async () => {
    const fake = opened(await kind.start())
    fake.book.hold = true
    const dataDir = tempDir()
    // A lease far shorter than the batch takes, swept often: a submitted job must not be requeued by it.
    let engine = opened(await laneEngine(dataDir, { leaseMs: 100, stallSweepMs: 20 }))
    await saveBatchProfile(engine, kind, fake)
    await engine.call('enqueueJobs', {
      jobs: ['a', 'b', 'c'].map((prompt) => ({ prompt, provider: 'batchy', config: { lane: 'batch' } })),
      batchName: 'resume',
    })
    // Polled many times over, well past the lease: still submitted, counted as such.
    await waitFor(
      () => batchRow(dataDir),
      (rows) => rows.length === 1 && rows[0]!.state === 'sent' && rows[0]!.polls >= 10,
      { what: 'the batch polled ten times while the provider holds it' },
    )
    expect((await engine.call('queueStats', {})).counts).toMatchObject({ submitted: 3, queued: 0, active: 0 })
    expect(readRows<{ n: number }>(dataDir, "SELECT count(*) AS n FROM job_attempts WHERE outcome = 'stalled'")[0]!.n).toBe(0)

    await engine.close(2000)
    expect(batchRow(dataDir)[0]!.state).toBe('sent')
    fake.book.hold = false
    engine = opened(await laneEngine(dataDir))
    await settledAll(engine)

    expect(fake.book.batches.size).toBe(1)
    expect(fake.book.linesUploaded).toBe(3)
    expect(readRows<{ state: string }>(dataDir, 'SELECT state FROM jobs').map((row) => row.state)).toEqual(['completed', 'completed', 'completed'])
    expect(batchRow(dataDir)[0]!.state).toBe('settled')
  })

  it('keeps the lines an expired batch finished and sends only the rest again', async () => {
    const fake = opened(await kind.start())
    fake.book.expireNext = true
    fake.book.finishedEarly = 2
    const dataDir = tempDir()
    const engine = opened(await laneEngine(dataDir))
    await saveBatchProfile(engine, kind, fake)
    await engine.call('enqueueJobs', {
      jobs: ['one', 'two', 'three', 'four', 'five'].map((prompt) => ({ prompt, provider: 'batchy', config: { lane: 'batch' } })),
      batchName: 'expiry',
    })
    await settledAll(engine)
    const batches = readRows<{ state: string; remote_status: string; succeeded: number; requeued: number; requests: number }>(
      dataDir,
      'SELECT state, remote_status, succeeded, requeued, requests FROM provider_batches ORDER BY id',
    )
    expect(batches.map((batch) => [batch.state, batch.requests, batch.succeeded, batch.requeued])).toEqual([
      ['settled', 5, 2, 3],
      ['settled', 3, 3, 0],
    ])
    expect(batches[0]!.remote_status).toBe(kind.kind === 'openai' ? 'expired' : 'ended')
    // Five answers paid for, no more: the two kept, the three sent again once.
    expect(fake.book.linesUploaded).toBe(8)
    const jobs = readRows<{ state: string; attempts_made: number }>(dataDir, 'SELECT state, attempts_made FROM jobs ORDER BY id')
    expect(jobs).toEqual(Array(5).fill({ state: 'completed', attempts_made: 1 }))
    expect(readRows<{ n: number }>(dataDir, 'SELECT count(*) AS n FROM job_attempts')[0]!.n).toBe(5)
  })
})
