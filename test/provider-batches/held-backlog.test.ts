/**
 * A held provider's backlog at the head of the due jobs does not keep other providers'
 * batch-lane jobs out: a gather reads at most `gatherLimit` due jobs, a page at a time, and
 * the next one reads on from where it stopped, so the jobs behind the backlog are reached.
 */
import { describe, expect, it } from 'vitest'
import { tempDir } from '../support/temp'
import { closedAfterEach, KINDS, laneEngine, readRows, settledAll } from './support'

const opened = closedAfterEach()

describe('a held provider’s backlog in the batch lane', () => {
  it('is passed over: the jobs of another provider behind it go into a provider batch and finish', async () => {
    const kind = KINDS[0]!
    const fake = opened(await kind.start())
    const dataDir = tempDir()
    const engine = opened(await laneEngine(dataDir, { batchLane: { gatherLimit: 20 } }))
    for (const name of ['held', 'open']) await engine.call('saveProvider', { name, provider: kind.kind, baseUrl: fake.url, model: kind.model, config: {} })
    await engine.call('pauseProvider', { provider: 'held', reason: 'the drill holds it' })
    // Sixty held jobs first: three gathers' worth ahead of the five that can go.
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 60 }, (_, i) => ({ prompt: `held ${i}`, provider: 'held', config: { lane: 'batch' } })) })
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 5 }, (_, i) => ({ prompt: `open ${i}`, provider: 'open', config: { lane: 'batch' } })) })

    await expect
      .poll(() => readRows<{ n: number }>(dataDir, `SELECT count(*) AS n FROM jobs WHERE provider = 'open' AND state = 'completed'`)[0]!.n, {
        timeout: 20_000,
        interval: 50,
      })
      .toBe(5)
    expect(
      readRows<{ state: string; lane: string; n: number }>(dataDir, `SELECT state, lane, count(*) AS n FROM jobs WHERE provider = 'held' GROUP BY 1, 2`),
    ).toEqual([{ state: 'queued', lane: 'batch', n: 60 }])
    expect(fake.book.linesUploaded).toBe(5)

    // Resumed, the backlog goes too.
    await engine.call('resumeProvider', { provider: 'held' })
    await settledAll(engine)
    expect(fake.book.linesUploaded).toBe(65)
  })
})
