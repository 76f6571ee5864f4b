/**
 * Two profiles of one kind on different endpoints (two accounts, or an OpenAI-compatible
 * gateway beside OpenAI) may give their provider batches the same id. A provider batch the
 * second endpoint accepted must then be recorded and read back like any other: today the
 * record of it is refused by the store's (kind, remote_id) index, the lane takes that for a
 * refused upload and fails every line, while the provider runs (and bills) the batch that
 * no engine will ever read; the jobs are then sent again in a second provider batch.
 */
import { describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { closedAfterEach, FAST_LANE, KINDS, settledAll } from '../../provider-batches/support'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()
const opened = closedAfterEach()

describe.skipIf(!server)('provider batches of two endpoints that number their batches alike', () => {
  it.each(KINDS)('are both read back and their $kind jobs completed once', { timeout: 60_000 }, async (kind) => {
    const url = await server!.freshDatabase()
    const [here, there] = [opened(await kind.start()), opened(await kind.start())]
    const engine: Engine = opened(
      await createEngine({ dataDir: tempDir(), store: url, threads: 1, pollMs: 20, artifacts: false, cache: { enabled: false }, batchLane: FAST_LANE }),
    )
    await engine.call('saveProvider', { name: 'here', provider: kind.kind, baseUrl: here.url, model: kind.model, config: { lane: 'batch' } })
    await engine.call('saveProvider', { name: 'there', provider: kind.kind, baseUrl: there.url, model: kind.model, config: { lane: 'batch' } })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'first', provider: 'here' }] })
    await settledAll(engine)
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'second', provider: 'there' }] })
    await settledAll(engine)

    // The two endpoints named their first provider batches alike.
    expect([...there.book.batches.keys()][0]).toBe([...here.book.batches.keys()][0])
    // The provider was sent the line once, not again after its batch was taken for refused.
    expect(there.book.linesUploaded).toBe(1)
    const { jobs } = await engine.call('listJobs', { limit: 10 })
    expect(jobs.map((each) => [each.provider, each.state, each.attemptsMade]).sort()).toEqual([
      ['here', 'completed', 1],
      ['there', 'completed', 1],
    ])
  })
})
