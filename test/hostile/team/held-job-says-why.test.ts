/**
 * Hostile: a queued job the engine holds says why (`held`, from the gates: a pause, a
 * breaker, a budget), on its row and in its detail. A job held because this engine cannot
 * open its profile's key says nothing: it looks merely queued, and the reason is only in
 * the health check.
 */
import { describe, expect, it } from 'vitest'
import { createEngine } from '../../../src/main/engine'
import { closedAfterTest } from '../../support/serve-child'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

describe('a job held for a key this engine cannot open', () => {
  it('says so in its detail, as a job held by a pause does', { timeout: 60_000 }, async () => {
    const dataDir = tempDir()
    const saver = await createEngine({ dataDir, threads: 1, artifacts: false, teamKeyFile: teamKeyFile() })
    await saver.call('saveProvider', {
      name: 'sealed',
      provider: 'openai',
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'gpt-test',
      apiKey: 'sk-sealed-0123456789abcdef',
    })
    await saver.close(1000)

    const engine = closedAfterTest(await createEngine({ dataDir, threads: 1, pollMs: 50, artifacts: false }))
    const { jobIds } = await engine.call('enqueueJobs', { jobs: [{ prompt: 'hello', provider: 'sealed' }] })
    await waitFor(
      async () => (await engine.health.report()).checks.find((check) => check.name === 'profile-keys'),
      (check) => check?.status === 'warn',
      { what: 'the engine to say it cannot open the key of sealed' },
    )
    const job = await engine.call('getJob', { id: jobIds[0]! })
    expect(job.state).toBe('queued')
    expect(job.held).toMatch(/key/)
  })
})
