/**
 * A prompt file written by an attacker, against fake providers on loopback that record
 * every header they are sent: no key of the operator's leaves for an endpoint a job chose,
 * whatever path the job took into the queue, and a key of no known shape that a provider
 * echoes is masked in the database, the log, every answer and the bundle.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { hasUnzip, unzip } from '../diagnostics/unzipped'
import { genops } from '../support/cli'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { sendError, startFakeServer, type FakeServer } from '../support/fake-server'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

/** A key that looks like no key shape redact.ts knows: only its value can mask it. */
const GATEWAY_KEY = 'gwkey.9341fa0b2c7d4e5f8a6b1c3d'
const ENV_KEY = 'sk-env-key-of-the-operator-0123456789'
const PLACEHOLDER = 'Bearer no-key-needed-for-local-server'

function privateFile(dir: string, name: string, content: string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  chmodSync(path, 0o600)
  return path
}

let fake: FakeOpenAI
/** Any 0600 file the process can read: what the attacker's line asks to be sent as a key. */
let stolen: string
let profileKey: string

beforeEach(() => {
  const keys = tempDir('genops-keys-')
  stolen = privateFile(keys, 'id_ed25519', 'sk-from-a-private-file-0123456789\nsecond line of the file\n')
  profileKey = privateFile(keys, 'gateway.key', `${GATEWAY_KEY}\n`)
})

beforeEach(async () => {
  fake = await startFakeOpenAI()
})
afterEach(async () => {
  await fake.close()
})

const authorizations = (server: FakeServer) => server.requests.map((request) => request.headers.authorization)

describe('intake: a job cannot name a key, move a profile or leave the machine', () => {
  it('refuses each hostile line with its file and line, and enqueues nothing of the file', () => {
    const dir = tempDir()
    expect(
      genops([
        'providers',
        'add',
        'work',
        '--provider',
        'openai',
        '--base-url',
        'https://api.example.invalid/v1',
        '--model',
        'm',
        '--key-file',
        profileKey,
        '--data-dir',
        dir,
      ]).status,
    ).toBe(0)
    const file = join(dir, 'shared-prompts.jsonl')
    writeFileSync(
      file,
      [
        { prompt: 'a', provider: 'openai', model: 'm', config: { baseUrl: fake.url, keyFile: stolen } },
        { prompt: 'b', profile: 'work', config: { baseUrl: fake.url } },
        { prompt: 'c', provider: 'openai', model: 'm', config: { baseUrl: 'http://192.0.2.1/v1' } },
        { prompt: 'd', provider: 'openai', model: 'm', config: { baseUrl: fake.url, headers: { authorization: 'x' } } },
        { prompt: 'e', provider: 'openai', model: 'm', config: { baseUrl: fake.url } },
      ]
        .map((job) => JSON.stringify(job))
        .join('\n'),
    )
    const result = genops(['enqueue', file, '--data-dir', dir])
    expect(result.status).toBe(2)
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      'shared-prompts.jsonl:1: config.keyFile: a job cannot name a key file; keys belong to profiles (genops providers add NAME --key-file FILE) or the environment',
      'shared-prompts.jsonl:2: config.baseUrl: a job cannot redirect profile "work"',
      expect.stringMatching(/^shared-prompts\.jsonl:3: config\.baseUrl: a job may only point at a server on this machine .* not 192\.0\.2\.1:/),
      expect.stringMatching(/^shared-prompts\.jsonl:4: config\.headers: a job holds no API keys, tokens or headers/),
      'shared-prompts.jsonl: nothing enqueued from this file',
    ])
    // Nothing tells the file whether the path exists or what its mode is.
    expect(result.stderr).not.toContain(stolen)
    const stats = JSON.parse(genops(['queue', 'stats', '--json', '--data-dir', dir]).stdout) as { counts: Record<string, number> }
    expect(Object.values(stats.counts).reduce((a, b) => a + b, 0)).toBe(0)
    expect(fake.requests).toHaveLength(0)
  })

  it('refuses a remote --base-url on the command line too: a remote endpoint is a profile', () => {
    const dir = tempDir()
    const file = join(dir, 'one.txt')
    writeFileSync(file, 'hello')
    const result = genops(['enqueue', file, '--provider', 'openai', '--model', 'm', '--base-url', 'https://api.example.invalid/v1', '--data-dir', dir])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('one.txt: config.baseUrl: a job may only point at a server on this machine')
  })
})

describe('the worker: no credential goes to an endpoint a job chose, whatever reached the queue', () => {
  let engine: Engine | undefined
  const saved = { openai: process.env.OPENAI_API_KEY, token: process.env.ANTHROPIC_AUTH_TOKEN }
  beforeAll(() => {
    // The pool's threads copy the environment when they start: set before the engine.
    process.env.OPENAI_API_KEY = ENV_KEY
    process.env.ANTHROPIC_AUTH_TOKEN = 'sk-ant-auth-token-of-the-operator'
  })
  afterAll(() => {
    for (const [name, value] of [
      ['OPENAI_API_KEY', saved.openai],
      ['ANTHROPIC_AUTH_TOKEN', saved.token],
    ] as const) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  afterEach(async () => {
    await engine?.close(1000)
    engine = undefined
  })

  it('fails jobs that name a key file or move a profile, sends the rest with no key, and pauses nothing', async () => {
    const dir = tempDir()
    // Rows as an older GenOps or another tool might have written them: past intake's checks.
    const store = SqliteQueueStore.open(databaseFile(dir))
    const now = Date.now()
    await store.saveProfile({ name: 'work', provider: 'openai', baseUrl: 'https://api.example.invalid/v1', model: 'm', keyFile: profileKey }, now)
    const row = (provider: string, config: Record<string, unknown>) => ({
      prompt: 'hi',
      provider,
      model: 'm',
      priority: 1,
      runAt: now,
      maxAttempts: 3,
      idempotencyKey: null,
      tags: null,
      config,
    })
    await store.enqueue(
      [
        row('openai', { baseUrl: fake.url, keyFile: stolen }),
        row('work', { baseUrl: fake.url }),
        row('openai', { baseUrl: fake.url }),
        row('anthropic', { baseUrl: fake.origin }),
      ],
      'written past intake',
      now,
    )
    store.close()
    engine = await createEngine({ dataDir: dir, threads: 1, pollMs: 50, metrics: { exporter: { enabled: false } } })
    const done = await waitFor(
      () => engine!.call('queueStats', {}),
      (stats) => stats.counts.completed + stats.counts.dead === 4,
      { what: 'the four jobs to end' },
    )
    expect(done.counts).toMatchObject({ completed: 1, dead: 3 })
    // Only the two plain loopback jobs reached the server (the Anthropic one to a route it lacks), with the placeholder alone.
    expect(authorizations(fake)).toEqual([PLACEHOLDER, PLACEHOLDER])
    expect(fake.requests.map((request) => String(request.headers['x-api-key'] ?? 'none')).filter((key) => key !== 'none' && !key.startsWith('no-key'))).toEqual(
      [],
    )
    const [keyFileJob, redirected, , anthropicJob] = await Promise.all([1, 2, 3, 4].map((id) => engine!.call('getJob', { id })))
    expect(keyFileJob!.attempts.map((a) => a.errorCategory)).toEqual(['VALIDATION'])
    expect(keyFileJob!.lastError).toContain('config.keyFile: a job cannot name a key file')
    expect(keyFileJob!.lastError).not.toContain(stolen)
    expect(redirected!.lastError).toBe('config.baseUrl: a job cannot redirect profile "work"')
    // The Anthropic job went to a chat-completions server, which said 404; it carried neither key nor the auth token.
    expect(anthropicJob!.state).toBe('dead')
    expect(fake.requests.every((request) => !JSON.stringify(request.headers).includes('sk-'))).toBe(true)
    expect((await engine.call('listProviderPauses', {})).pauses).toEqual([])
  })

  it("sends a keyless profile's local endpoint no environment key: whatever binds the port while Ollama is down gets nothing", async () => {
    const dir = tempDir()
    engine = await createEngine({ dataDir: dir, threads: 1, pollMs: 50, metrics: { exporter: { enabled: false } } })
    // The README's Ollama profile, exactly: no key file.
    await engine.call('saveProvider', { name: 'ollama', provider: 'openai', baseUrl: fake.url, model: 'llama3' })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'hi', provider: 'ollama' }] })
    await waitFor(
      () => engine!.call('queueStats', {}),
      (stats) => stats.counts.completed === 1,
      { what: 'the job to complete' },
    )
    expect(authorizations(fake)).toEqual([PLACEHOLDER])
    expect(fake.requests[0]!.headers['openai-organization']).toBeUndefined()
  })
})

/** A gateway that refuses every request, echoing the key it was sent, as real ones do in their errors. */
async function startEchoingGateway(): Promise<FakeServer & { url: string }> {
  const server = await startFakeServer(async ({ req, res }) => {
    sendError(res, 400, {
      error: { message: `request refused for key ${String(req.headers.authorization ?? '').replace(/^Bearer /, '')}: quota plan unknown` },
    })
  })
  return Object.assign(server, { url: `${server.origin}/v1` })
}

describe('a key of no known shape, echoed by its provider', () => {
  let engine: Engine | undefined
  let gateway: FakeServer & { url: string }
  beforeEach(async () => {
    gateway = await startEchoingGateway()
  })
  afterEach(async () => {
    await engine?.close(1000)
    engine = undefined
    await gateway.close()
  })

  it('is masked in the stored error, every answer, the log, the database file and the bundle', async () => {
    const dir = tempDir()
    engine = await createEngine({ dataDir: dir, threads: 1, pollMs: 50, metrics: { exporter: { enabled: false } } })
    await engine.call('saveProvider', { name: 'gw', provider: 'openai', baseUrl: gateway.url, model: 'm', keyFile: profileKey })
    const { jobIds } = await engine.call('enqueueJobs', { jobs: [{ prompt: 'hi', provider: 'gw', attempts: 1 }] })
    const id = jobIds[0]!
    await waitFor(
      () => engine!.call('getJob', { id }),
      (job) => job.state === 'dead',
      { what: 'the refused job to be dead' },
    )
    // The gateway did get the key: it is the profile's own endpoint.
    expect(authorizations(gateway)).toEqual([`Bearer ${GATEWAY_KEY}`])

    const answers = await Promise.all([
      engine.call('getJob', { id }),
      engine.call('listDead', {}),
      engine.call('getTrace', { jobId: id }),
      engine.call('jobLogs', { jobId: id }),
      engine.call('listFailureGroups', {}),
    ])
    const job = answers[0]
    expect(job.lastError).toContain('request refused for key [REDACTED]')
    for (const answer of answers) expect(JSON.stringify(answer)).not.toContain(GATEWAY_KEY)

    const bundle = await engine.call('exportBundle', {})
    await engine.close()
    engine = undefined
    const logs = readdirSync(join(dir, 'logs')).map((name) => readFileSync(join(dir, 'logs', name), 'utf8'))
    expect(logs.join('\n')).toContain('[REDACTED]')
    for (const text of logs) expect(text).not.toContain(GATEWAY_KEY)
    for (const name of readdirSync(dir).filter((name) => name.startsWith('genops.db'))) {
      expect(readFileSync(join(dir, name)).includes(GATEWAY_KEY), name).toBe(false)
    }
    if (hasUnzip || process.env.CI) {
      for (const [name, content] of unzip(bundle.path)) expect(content.includes(GATEWAY_KEY), name).toBe(false)
    }
  })
})
