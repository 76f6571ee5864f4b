/**
 * Hostile: the claim gate holds the real-time jobs of a profile whose kept key this engine
 * cannot open, but the batch lane gathers by its own hold (`held`: the queue's and the
 * provider's pauses only). Its jobs go up in a provider batch without the profile's key,
 * to the profile's base URL: keyless (or with whatever OPENAI_API_KEY this process has).
 */
import { describe, expect, it } from 'vitest'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'
import { startFakeOpenAIBatches } from '../../support/fake-openai-batches'
import { closedAfterEach, KINDS, laneEngine, readRows } from '../../provider-batches/support'

const opened = closedAfterEach()
const KEY = 'sk-batch-kept-0123456789abcdef'
const openai = KINDS[0]!

describe('the batch lane and a profile whose key does not open here', () => {
  it('sends none of that profile’s batch-lane jobs, as the real-time lane sends none', { timeout: 60_000 }, async () => {
    const fake = opened(await startFakeOpenAIBatches())
    const dataDir = tempDir()
    // Saved with the team key by an engine given it...
    const saver = await laneEngine(dataDir, { teamKeyFile: teamKeyFile() })
    await saver.call('saveProvider', { name: 'sealed', provider: 'openai', baseUrl: fake.url, model: openai.model, apiKey: KEY })
    await saver.call('saveProvider', { name: 'open', provider: 'openai', baseUrl: fake.url, model: openai.model })
    await saver.close(2000)

    // ...then the same data directory run without it (the key file lost, another machine's settings).
    const engine = opened(await laneEngine(dataDir))
    await waitFor(
      async () => (await engine.health.report()).checks.find((check) => check.name === 'profile-keys'),
      (check) => check?.status === 'warn',
      { what: 'the engine to say it cannot open the key of sealed' },
    )
    await engine.call('enqueueJobs', {
      jobs: [
        { prompt: 'sealed one', provider: 'sealed', config: { lane: 'batch' } },
        { prompt: 'sealed two', provider: 'sealed', config: { lane: 'batch' } },
        { prompt: 'open one', provider: 'open', config: { lane: 'batch' } },
      ],
    })
    // The open profile's job going up in a batch proves a gather ran over all three jobs.
    await waitFor(
      () => readRows<{ state: string }>(dataDir, `SELECT state FROM jobs WHERE provider = 'open'`),
      (rows) => rows[0]?.state === 'completed',
      { what: 'the open profile’s batch-lane job to complete' },
    )
    const uploaded = [...fake.files.values()].join('\n')
    expect(uploaded).not.toContain('sealed one')
    expect(readRows<{ state: string }>(dataDir, `SELECT state FROM jobs WHERE provider = 'sealed' ORDER BY id`).map((row) => row.state)).toEqual([
      'queued',
      'queued',
    ])
  })
})
