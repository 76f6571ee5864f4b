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
      // Each cancelled line is an attempt of its job, with nothing billed: the provider answered none of them.
      expect(
        readRows<{ outcome: string; cost_usd: number | null; output_tokens: number | null }>(
          dataDir,
          'SELECT outcome, cost_usd, output_tokens FROM job_attempts',
        ),
      ).toEqual(Array(3).fill({ outcome: 'cancelled', cost_usd: null, output_tokens: null }))
    })

  it('counts what the provider bills for a cancelled job whose line it answered anyway', async () => {
    const kind = KINDS[0]!
    const fake = opened(await kind.start())
    fake.book.hold = true
    const dataDir = tempDir()
    const engine = opened(await laneEngine(dataDir))
    await saveBatchProfile(engine, kind, fake)
    await engine.call('enqueueJobs', { jobs: ['one', 'two', 'three'].map((prompt) => ({ prompt, provider: 'batchy', config: { lane: 'batch' } })) })
    await waitFor(
      () => engine.call('queueStats', {}),
      ({ counts }) => counts.submitted === 3,
      { what: 'three lines in a provider batch', timeoutMs: 10_000 },
    )
    await engine.call('cancelJob', { id: 2 })
    fake.book.hold = false
    await waitFor(
      () => Promise.resolve(readRows<{ state: string }>(dataDir, 'SELECT state FROM provider_batches')),
      (rows) => rows[0]?.state === 'settled',
      { what: 'the provider batch settled', timeoutMs: 10_000 },
    )
    const attempts = readRows<{ job_id: number; outcome: string; cost_usd: number; output_tokens: number; state: string }>(
      dataDir,
      'SELECT a.job_id, a.outcome, a.cost_usd, a.output_tokens, j.state FROM job_attempts a JOIN jobs j ON j.id = a.job_id ORDER BY a.job_id',
    )
    expect(attempts.map(({ job_id, outcome, state }) => [job_id, outcome, state])).toEqual([
      [1, 'ok', 'completed'],
      [2, 'cancelled', 'cancelled'],
      [3, 'ok', 'completed'],
    ])
    // Billed as the others are, and counted where the budgets and the Costs screen read it.
    expect(attempts[1]!.cost_usd).toBeGreaterThan(0)
    expect(attempts[1]!.cost_usd).toBeCloseTo(attempts[0]!.cost_usd, 12)
    const total = attempts.reduce((sum, attempt) => sum + attempt.cost_usd, 0)
    const rolled = readRows<{ usd: number; completed: number }>(
      dataDir,
      `SELECT sum(cost_usd) AS usd, sum(completed) AS completed FROM usage_rollups WHERE provider = '' AND resolution = (SELECT min(resolution) FROM usage_rollups)`,
    )[0]!
    expect(rolled.usd).toBeCloseTo(total, 12)
    expect(rolled.completed).toBe(2)
    // A later poll of the same results counts nothing twice.
    await engine.close()
    const again = opened(await laneEngine(dataDir))
    await new Promise((resolve) => setTimeout(resolve, 200))
    await again.close()
    expect(readRows<{ n: number }>(dataDir, 'SELECT count(*) AS n FROM job_attempts')[0]!.n).toBe(3)
  })
})
