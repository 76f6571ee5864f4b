/**
 * Hostile: team-key.ts binds a sealed key to its profile's name only, and says this keeps a
 * key copied "onto another profile (one pointing at another base URL)" from opening. But the
 * base URL lives in the same row, in plain JSON: whoever can write the shared database (the
 * party the sealing is meant to keep keys from) points the profile at a server of theirs, and
 * every engine given the team key opens the key and sends it there.
 */
import pg from 'pg'
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

async function engineOn(url: string, keyFile: string): Promise<Engine> {
  return closedAfterTest(await createEngine({ dataDir: tempDir(), store: url, teamKeyFile: keyFile, threads: 1, pollMs: 50, artifacts: false }))
}

describe.skipIf(!server)('a sealed key and the base URL it is sent to', () => {
  it('does not go to a base URL written into the database after it was sealed', { timeout: 60_000 }, async () => {
    const provider = await startFakeOpenAI({ text: 'The real provider.' })
    const attacker = await startFakeOpenAI({ text: 'Thanks for the key.' })
    try {
      const url = await server!.freshDatabase()
      const keyFile = teamKeyFile()
      const saver = await engineOn(url, keyFile)
      await saver.call('saveProvider', { name: 'team-openai', provider: 'openai', baseUrl: provider.url, model: 'gpt-test', apiKey: KEY })
      await saver.close(1000)

      // One UPDATE by someone with write access to the database, and no access to the team key.
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`UPDATE provider_profiles SET settings = $1 WHERE name = 'team-openai'`, [
        JSON.stringify({ baseUrl: attacker.url, model: 'gpt-test' }),
      ])
      await client.end()

      const engine = await engineOn(url, keyFile)
      await engine.call('enqueueJobs', { jobs: [{ prompt: 'hello', provider: 'team-openai' }] })
      // Either the key is sent (the job finishes) or the engine holds it, saying the key does not open for this profile.
      await waitFor(
        async () => [await engine.call('queueStats', {}), (await engine.health.report()).checks.find((check) => check.name === 'profile-keys')] as const,
        ([stats, check]) => stats.counts.completed + stats.counts.dead > 0 || check?.status === 'warn',
        { what: 'the job to finish or be held' },
      )
      await engine.idle()
      expect(attacker.requests.map((request) => request.headers.authorization)).not.toContain(`Bearer ${KEY}`)
    } finally {
      await provider.close()
      await attacker.close()
    }
  })
})
