/**
 * Jobs cancelled while their lines wait in a provider batch: once every line of the batch
 * is cancelled, the provider batch is cancelled too (it would otherwise run, and bill, every
 * line); while some line still waits, the batch runs on and only that line is settled.
 */
import { describe, expect, it } from 'vitest'
import { waitFor } from '../support/wait'
import { tempDir } from '../support/temp'
import { closedAfterEach, KINDS, laneEngine, readRows, saveBatchProfile } from './support'

const opened = closedAfterEach()

describe('cancelling the jobs of a provider batch', () => {
  for (const kind of KINDS)
    it(`cancels the ${kind.kind} batch once none of its lines is wanted, not before`, async () => {
      const fake = opened(await kind.start())
      fake.book.hold = true
      const dataDir = tempDir()
      const engine = opened(await laneEngine(dataDir))
      await saveBatchProfile(engine, kind, fake)
      const batchLane = (prompt: string) => ({ prompt, provider: 'batchy', config: { lane: 'batch' } })
      await engine.call('enqueueJobs', { jobs: ['one', 'two', 'three'].map(batchLane) })
      await waitFor(
        () => engine.call('queueStats', {}),
        ({ counts }) => counts.submitted === 3,
        { what: 'three lines in a provider batch', timeoutMs: 10_000 },
      )
      const cancels = () => fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/cancel')).length

      await engine.call('cancelJobs', { ids: [1, 2] })
      // Several polls with one line still wanted: the batch is left to run.
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(cancels()).toBe(0)

      await engine.call('cancelJob', { id: 3 })
      await waitFor(
        () => Promise.resolve(readRows<{ state: string }>(dataDir, 'SELECT state FROM provider_batches')),
        (rows) => rows[0]?.state === 'settled',
        { what: 'the provider batch cancelled and settled', timeoutMs: 10_000 },
      )
      expect(cancels()).toBe(1)
      expect(readRows<{ state: string }>(dataDir, 'SELECT state FROM jobs ORDER BY id').map((row) => row.state)).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
      ])
      expect(readRows<{ n: number }>(dataDir, 'SELECT count(*) AS n FROM job_attempts')[0]!.n).toBe(0)
    })
})
