/**
 * What the operator does to stop spend holds the batch lane as it holds real-time claims, on
 * a team store: a paused batch's batch-lane jobs, and the jobs of a profile whose budget
 * pauses and is reached, are not uploaded to the provider. A job beside them (another batch,
 * another profile) goes through in the same gathers, so the held ones had their chance.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { job } from '../../store/conformance/harness'
import { closedAfterEach, FAST_LANE, KINDS } from '../../provider-batches/support'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()
const opened = closedAfterEach()
const [kind] = KINDS

async function teamOf(url: string) {
  const fake = opened(await kind!.start())
  const engine: Engine = opened(
    await createEngine({ dataDir: tempDir(), store: url, threads: 1, pollMs: 20, artifacts: false, cache: { enabled: false }, batchLane: FAST_LANE }),
  )
  for (const name of ['batchy', 'other'])
    await engine.call('saveProvider', { name, provider: kind!.kind, baseUrl: fake.url, model: kind!.model, config: { lane: 'batch' } })
  const cli = await PostgresQueueStore.open(url)
  onTestFinished(() => cli.close())
  return { fake, engine, cli }
}

const stateOf = async (engine: Engine, id: number) => (await engine.call('getJob', { id })).state

describe.skipIf(!server)('the batch lane held by the operator', () => {
  it('uploads none of a paused batch’s jobs', { timeout: 30_000 }, async () => {
    const url = await server!.freshDatabase()
    const { fake, engine, cli } = await teamOf(url)
    // Due in a moment: the operator pauses the batch first.
    const runAt = Date.now() + 1000
    const paused = await cli.enqueue(
      ['a', 'b'].map((prompt) => job(prompt, { provider: 'batchy', runAt, config: { lane: 'batch' } })),
      'paused',
      Date.now(),
    )
    const beside = await cli.enqueue([job('c', { provider: 'batchy', runAt, config: { lane: 'batch' } })], 'beside', Date.now())
    await engine.call('pauseBatch', { batchId: paused.batchId, reason: 'the operator stops its spend' })

    await expect.poll(() => stateOf(engine, beside.jobIds[0]!), { timeout: 15_000, interval: 50 }).toBe('completed')
    expect(await Promise.all(paused.jobIds.map((id) => stateOf(engine, id)))).toEqual(['queued', 'queued'])
    expect(fake.book.linesUploaded).toBe(1)
  })

  it('uploads none of the jobs of a profile whose pausing budget they would cross', { timeout: 30_000 }, async () => {
    const url = await server!.freshDatabase()
    const { fake, engine, cli } = await teamOf(url)
    await engine.call('setBudget', { scope: 'profile', target: 'batchy', unit: 'tokens', limit: 1, action: 'pause' })
    const now = Date.now()
    const held = await cli.enqueue(
      ['a', 'b'].map((prompt) => job(`${prompt} `.repeat(200), { provider: 'batchy', runAt: now - 1, config: { lane: 'batch' } })),
      'held',
      now,
    )
    const beside = await cli.enqueue([job('c', { provider: 'other', runAt: now - 1, config: { lane: 'batch' } })], 'beside', now)

    await expect.poll(() => stateOf(engine, beside.jobIds[0]!), { timeout: 15_000, interval: 50 }).toBe('completed')
    expect(await Promise.all(held.jobIds.map((id) => stateOf(engine, id)))).toEqual(['queued', 'queued'])
    expect(fake.book.linesUploaded).toBe(1)
  })
})
