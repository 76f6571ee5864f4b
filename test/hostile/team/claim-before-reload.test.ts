/**
 * Hostile: a profile another engine saves, with a key sealed by the team key, is unknown to
 * a keyless engine until its next poll reads the change feed. A turn of that engine in the
 * meantime (an enqueue through it, a result settling) claims the profile's jobs with no gate
 * for them; the scheduler then reads the profiles (the key does not open: unopened), but
 * dispatches the jobs it already holds, without the key.
 */
import { describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { startFakeOpenAI } from '../../support/fake-openai'
import { postgresServer } from '../../support/postgres'
import { closedAfterTest } from '../../support/serve-child'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()
const KEY = 'sk-team-kept-0123456789abcdef'

async function engineOn(url: string, overrides: Partial<Parameters<typeof createEngine>[0]> = {}): Promise<Engine> {
  return closedAfterTest(await createEngine({ dataDir: tempDir(), store: url, threads: 1, concurrency: 4, artifacts: false, ...overrides }))
}

describe.skipIf(!server)('a profile saved elsewhere between two polls of a keyless engine', () => {
  it('is not sent keyless by a claim that came before the engine read it', { timeout: 60_000 }, async () => {
    const fake = await startFakeOpenAI({ text: 'Answer.' })
    try {
      const url = await server!.freshDatabase()
      // A long poll only widens the window between the other engine's save and this engine's reading of it.
      const keyless = await engineOn(url, { pollMs: 600_000 })
      const saver = await engineOn(url, { teamKeyFile: teamKeyFile(), concurrency: 1 })
      await saver.call('saveProvider', { name: 'team-openai', provider: 'openai', baseUrl: fake.url, model: 'gpt-test', apiKey: KEY })
      await saver.close(1000)

      // Enqueued through the keyless engine (its UI or API): the enqueue kicks a turn.
      await keyless.call('enqueueJobs', { jobs: [{ prompt: 'team 1', provider: 'team-openai' }] })
      await waitFor(
        async () => (await keyless.health.report()).checks.find((check) => check.name === 'profile-keys'),
        (check) => check?.status === 'warn',
        { what: 'the keyless engine to find the key it cannot open' },
      )
      await keyless.idle()
      expect(fake.requests.map((request) => request.headers.authorization ?? 'no key')).toEqual([])
      expect((await keyless.call('queueStats', {})).counts).toMatchObject({ completed: 0, dead: 0 })
    } finally {
      await fake.close()
    }
  })
})
