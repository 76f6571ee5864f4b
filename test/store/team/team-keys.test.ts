/**
 * API keys on a team store: a key saved by one engine with the team key is used by every
 * engine given the same file, and never by one without it. Before the team key, a key the
 * desktop app sealed with its machine's keychain opened on no other engine: those ran the
 * profile's jobs with no key, and the provider's AUTH answer paused the profile for the
 * whole team. Now an engine that cannot open a key claims none of its profile's jobs and
 * says so in its health; the desktop's keychain never seals a key on a team store.
 */
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai'
import { testKeychain } from '../../support/keychain'
import { postgresServer } from '../../support/postgres'
import { closedAfterTest } from '../../support/serve-child'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()
const KEY = 'sk-team-kept-0123456789abcdef'

let fake: FakeOpenAI | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

async function engineOn(url: string, overrides: Partial<Parameters<typeof createEngine>[0]> = {}): Promise<Engine> {
  return closedAfterTest(await createEngine({ dataDir: tempDir(), store: url, threads: 1, concurrency: 4, pollMs: 50, artifacts: false, ...overrides }))
}

const profileKeysCheck = async (engine: Engine) => (await engine.health.report()).checks.find((check) => check.name === 'profile-keys')

describe.skipIf(!server)('API keys on a team store', () => {
  it('runs a profile’s jobs on the engines given the team key, with its key, and none on an engine without it', { timeout: 90_000 }, async () => {
    fake = await startFakeOpenAI({ text: 'Team answer.' })
    const url = await server!.freshDatabase()
    const keyFile = teamKeyFile()
    const saver = await engineOn(url, { teamKeyFile: keyFile, concurrency: 1 })
    // The saver only saves: paused, it takes no job.
    await saver.call('pauseQueue', {})
    const saved = await saver.call('saveProvider', { name: 'team-openai', provider: 'openai', baseUrl: fake.url, model: 'gpt-test', apiKey: KEY })
    expect(saved.hasKey).toBe(true)
    await saver.call('resumeQueue', {})
    await saver.close(1000)

    // The key is in the shared database sealed, never in plain text.
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const { rows } = await client.query<{ secret: Buffer }>(`SELECT secret FROM provider_profiles WHERE name = 'team-openai'`)
    await client.end()
    expect(rows[0]!.secret.subarray(0, 4).toString()).toBe('GTK1')
    expect(rows[0]!.secret.includes(KEY)).toBe(false)

    const keyless = await engineOn(url)
    await keyless.call('enqueueJobs', { jobs: Array.from({ length: 6 }, (_, i) => ({ prompt: `team ${i}`, provider: 'team-openai' })) })
    const check = await waitFor(
      () => profileKeysCheck(keyless),
      (found) => found?.status === 'warn',
      { what: 'the keyless engine to say which key it cannot open' },
    )
    expect(check!.detail).toBe(
      "this engine cannot open profile team-openai's API key (it was sealed with the team key, which this engine was not given (the teamKeyFile setting)): " +
        'it runs none of their jobs, which wait for an engine that can',
    )
    // Many of its turns later, still nothing taken, nothing sent, nothing paused.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const stats = await keyless.call('queueStats', {})
    expect(stats.counts).toMatchObject({ queued: 6, active: 0, completed: 0 })
    expect(fake.requests).toHaveLength(0)
    expect((await keyless.call('listProviderPauses', {})).pauses).toEqual([])

    const keyed = await engineOn(url, { teamKeyFile: keyFile })
    expect((await profileKeysCheck(keyed))?.status).toBe('pass')
    await waitFor(
      () => keyless.call('queueStats', {}),
      (s) => s.counts.completed === 6,
      { what: 'the engine with the team key to run every job', timeoutMs: 60_000 },
    )
    expect(fake.requests).toHaveLength(6)
    expect(new Set(fake.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${KEY}`]))
  })

  it('never seals a key with the desktop’s keychain on a team store: it says to give every engine the team key', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const desktop = await engineOn(url, { secrets: testKeychain() })
    await expect(desktop.call('saveProvider', { name: 'mine', provider: 'openai', apiKey: KEY })).rejects.toThrow(
      /^on a team store every engine must open a profile's key: give each engine the same team key \(the teamKeyFile setting\)/,
    )
    expect((await desktop.call('listProviders', {})).profiles).toEqual([])
  })

  it('sends a kept key only where it was given for: a new base URL needs the key again', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const engine = await engineOn(url, { teamKeyFile: teamKeyFile() })
    const profile = { name: 'team-openai', provider: 'openai' as const, baseUrl: 'https://api.openai.com/v1' }
    await engine.call('saveProvider', { ...profile, apiKey: KEY })
    await expect(engine.call('saveProvider', { ...profile, baseUrl: 'https://elsewhere.example/v1' })).rejects.toThrow(
      'profile team-openai keeps an API key given for https://api.openai.com/v1: give the key again to send it to https://elsewhere.example/v1',
    )
    // Other settings change freely; a new URL with its key is saved.
    expect((await engine.call('saveProvider', { ...profile, model: 'gpt-4o' })).hasKey).toBe(true)
    expect((await engine.call('saveProvider', { ...profile, baseUrl: 'https://elsewhere.example/v1', apiKey: KEY })).hasKey).toBe(true)
  })

  it('refuses to start with a team key file that cannot be used, naming it', async () => {
    const url = await server!.freshDatabase()
    const open = teamKeyFile(undefined, 0o644)
    await expect(createEngine({ dataDir: tempDir(), store: url, teamKeyFile: open, threads: 1, artifacts: false })).rejects.toThrow(
      `the team key file ${open} can be read by others (mode 644): run chmod 600 ${open}`,
    )
  })
})
