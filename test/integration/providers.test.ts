/**
 * Provider profiles: kept in the database, managed from the CLI, resolved by a running
 * engine at dispatch, with the API key read from a key file only its owner can read.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { resolveProvider } from '../../src/main/queue/profiles'
import { testKeychain } from '../support/keychain'
import type { ProviderProfile } from '../../src/shared/providers'
import { genops, genopsAsync } from '../support/cli'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { job, tempStore } from '../support/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

let fake: FakeOpenAI | undefined
let engine: Engine | undefined
afterEach(async () => {
  await engine?.close(1000)
  await fake?.close()
  engine = fake = undefined
})

function keyFile(dir: string, mode: number): string {
  const file = join(dir, `key-${mode.toString(8)}`)
  writeFileSync(file, 'sk-from-the-key-file-0123456789\n')
  chmodSync(file, mode)
  return file
}

describe('profiles in the store', () => {
  it('saves, replaces, lists and removes profiles, leaving out a damaged one', () => {
    const store = tempStore()
    const ollama: ProviderProfile = { name: 'ollama', provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' }
    store.saveProfile(ollama, 1)
    store.saveProfile({ ...ollama, model: 'qwen3' }, 2)
    store.saveProfile({ name: 'claude', provider: 'anthropic', config: { maxTokens: 512 } }, 3)
    store.db.prepare(`INSERT INTO provider_profiles (name, provider, settings, updated_at) VALUES ('broken', 'openai', '{not json', 4)`).run()
    expect(store.listProfiles()).toEqual([
      { name: 'claude', provider: 'anthropic', config: { maxTokens: 512 } },
      { ...ollama, model: 'qwen3' },
    ])
    expect(store.removeProfile('claude')).toBe(true)
    expect(store.removeProfile('claude')).toBe(false)
  })
})

describe('resolving a job’s provider', () => {
  const profiles = new Map<string, ProviderProfile>([
    ['ollama', { name: 'ollama', provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3', config: { temperature: 0.2, maxTokens: 50 } }],
  ])

  it('puts the profile under the job: the job’s model and config win, and the endpoint stays the profile’s, beside the config', () => {
    const claimed = { ...job('p'), provider: 'ollama', model: null, config: { maxTokens: 10 } }
    expect(resolveProvider(claimed, profiles, new Map([['ollama', 'kept-in-the-keychain-0123']]))).toEqual({
      provider: 'openai',
      model: 'llama3',
      config: { temperature: 0.2, maxTokens: 10 },
      endpoint: { profile: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'kept-in-the-keychain-0123' },
    })
    expect(resolveProvider({ ...claimed, model: 'mistral' }, profiles).model).toBe('mistral')
  })

  it('leaves a provider, or an unknown name, as it is', () => {
    expect(resolveProvider({ provider: 'sim', model: null, config: {} }, profiles)).toEqual({ provider: 'sim', model: null, config: {} })
    expect(resolveProvider({ provider: 'nope', model: null, config: {} }, profiles).provider).toBe('nope')
  })
})

describe('genops providers', () => {
  it('adds a profile, tests it against the endpoint, and removes it', async () => {
    fake = await startFakeOpenAI({ text: 'OK from the fake.' })
    const dir = tempDir()
    const key = keyFile(dir, 0o600)
    const add = genops([
      'providers',
      'add',
      'local-llm',
      '--provider',
      'openai',
      '--base-url',
      fake.url,
      '--model',
      'gpt-test',
      '--key-file',
      key,
      '--data-dir',
      dir,
    ])
    expect(add.stderr).toBe('')
    expect(add.stdout).toBe('profile local-llm: saved\n')
    expect(genops(['providers', 'list', '--data-dir', dir]).stdout).toContain(`local-llm: openai, model gpt-test, at ${fake.url}, key file ${key}`)
    const test = await genopsAsync(['providers', 'test', 'local-llm', '--data-dir', dir])
    expect(test.stdout).toMatch(/^local-llm: ok in \d+ ms: OK from the fake\.$/m)
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-from-the-key-file-0123456789')
    expect(genops(['providers', 'remove', 'local-llm', '--data-dir', dir]).stdout).toBe('profile local-llm: removed\n')
    expect(genops(['providers', 'remove', 'local-llm', '--data-dir', dir]).status).toBe(1)
  })

  it('refuses a key file others can read, saying how to fix it', () => {
    const dir = tempDir()
    const key = keyFile(dir, 0o644)
    const add = genops(['providers', 'add', 'openly', '--provider', 'openai', '--key-file', key, '--data-dir', dir])
    expect(add.status).toBe(2)
    expect(add.stderr).toContain(`can be read by others (mode 644): run chmod 600 ${key}`)
  })

  it('refuses a profile named like a provider, or with a bad base URL', () => {
    const dir = tempDir()
    expect(genops(['providers', 'add', 'openai', '--provider', 'openai', '--data-dir', dir]).stderr).toContain('cannot take the name of a provider')
    expect(genops(['providers', 'add', 'x', '--provider', 'openai', '--base-url', 'ftp://host', '--data-dir', dir]).status).toBe(2)
  })

  it('says why a test through an unreachable or refusing endpoint failed', async () => {
    fake = await startFakeOpenAI({ fault: { status: 401 } })
    const dir = tempDir()
    genops([
      'providers',
      'add',
      'refusing',
      '--provider',
      'openai',
      '--base-url',
      fake.url,
      '--model',
      'm',
      '--key-file',
      keyFile(dir, 0o600),
      '--data-dir',
      dir,
    ])
    const test = await genopsAsync(['providers', 'test', 'refusing', '--data-dir', dir])
    expect(test.status).toBe(1)
    expect(test.stderr).toMatch(/^genops: refusing: AUTH: /)
    expect(test.stderr).not.toContain('sk-from-the-key-file')
  })
})

describe('a running engine', () => {
  it('runs jobs that name a profile added from another process while it runs', async () => {
    fake = await startFakeOpenAI({ text: 'Answer through a profile.' })
    const dir = tempDir()
    engine = await createEngine({ dataDir: dir, threads: 1, pollMs: 50 })
    const key = keyFile(dir, 0o600)
    expect(
      genops(['providers', 'add', 'team-gateway', '--provider', 'openai', '--base-url', fake.url, '--model', 'gpt-test', '--key-file', key, '--data-dir', dir])
        .status,
    ).toBe(0)
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'hello', provider: 'team-gateway' }] })
    const done = await waitFor(
      () => engine!.call('getJob', { id: 1 }),
      (j) => j.state === 'completed' || j.state === 'dead',
      { what: 'the job to finish' },
    )
    expect(done).toMatchObject({ state: 'completed', output: 'Answer through a profile.', provider: 'team-gateway' })
    expect(fake.requests.at(-1)!.body.model).toBe('gpt-test')
  })
})

describe('API keys kept with a profile', () => {
  const KEY = 'sk-kept-in-the-keychain-0123456789'

  it('keeps the key encrypted, never returns it, and sends it to the provider', async () => {
    fake = await startFakeOpenAI({ text: 'Keyed answer.' })
    const dir = tempDir()
    engine = await createEngine({ dataDir: dir, threads: 1, pollMs: 50, secrets: testKeychain() })
    const saved = await engine.call('saveProvider', { name: 'keyed', provider: 'openai', baseUrl: fake.url, model: 'gpt-test', apiKey: KEY })
    expect(saved).toEqual({ name: 'keyed', provider: 'openai', baseUrl: fake.url, model: 'gpt-test', hasKey: true })
    expect(JSON.stringify(await engine.call('listProviders', {}))).not.toContain(KEY)
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'hello', provider: 'keyed' }] })
    await waitFor(
      () => engine!.call('getJob', { id: 1 }),
      (j) => j.state === 'completed',
      { what: 'the job to complete' },
    )
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`)
    await engine.close(1000)
    engine = undefined
    // Nowhere in the file, nor its write-ahead log, in plain text.
    for (const file of [databaseFile(dir), `${databaseFile(dir)}-wal`]) {
      try {
        expect(readFileSync(file).includes(KEY)).toBe(false)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      }
    }
  })

  it('refuses to keep a key where there is no keychain (headless mode, the CLI)', async () => {
    engine = await createEngine({ dataDir: tempDir(), threads: 1 })
    await expect(engine.call('saveProvider', { name: 'keyed', provider: 'openai', apiKey: KEY })).rejects.toThrow(/keeps no API keys/)
    expect((await engine.call('listProviders', {})).profiles).toEqual([])
  })
})
