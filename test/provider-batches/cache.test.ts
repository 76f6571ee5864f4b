/**
 * The batch lane and the response cache: a line's answer is kept as a real-time attempt's
 * is, and a batch-lane job whose request was answered before is not sent again: the
 * scheduler answers it from the cache, for nothing.
 */
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/temp'
import { closedAfterEach, KINDS, laneEngine, readRows, saveBatchProfile, settledAll } from './support'

const opened = closedAfterEach()

describe('the batch lane with the response cache on', () => {
  it('sends only the changed prompts of a rerun; the rest are answered from the cache', async () => {
    const kind = KINDS[1]!
    const fake = opened(await kind.start())
    const dataDir = tempDir()
    const engine = opened(await laneEngine(dataDir, { cache: { enabled: true } }))
    await saveBatchProfile(engine, kind, fake)
    const run = async (prompts: string[]) => {
      await engine.call('enqueueJobs', { jobs: prompts.map((prompt) => ({ prompt, provider: 'batchy', config: { lane: 'batch' } })), batchName: 'rerun' })
      await settledAll(engine)
    }
    await run(['north', 'south', 'east', 'west'])
    expect(fake.book.linesUploaded).toBe(4)
    await run(['north', 'south (edited)', 'east', 'west'])
    expect(fake.book.linesUploaded).toBe(5)
    const second = readRows<{ output: string; cached: number; cost_usd: number }>(
      dataDir,
      'SELECT j.output, a.cached, a.cost_usd FROM jobs j JOIN job_attempts a ON a.job_id = j.id WHERE j.id > 4 ORDER BY j.id',
    )
    expect(second).toEqual([
      { output: 'Answer to: north', cached: 1, cost_usd: 0 },
      { output: 'Answer to: south (edited)', cached: 0, cost_usd: expect.any(Number) },
      { output: 'Answer to: east', cached: 1, cost_usd: 0 },
      { output: 'Answer to: west', cached: 1, cost_usd: 0 },
    ])
    expect(second[1]!.cost_usd).toBeGreaterThan(0)
  })
})
