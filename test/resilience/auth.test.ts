/**
 * AUTH without poison, end to end: a real engine and pool against fake OpenAI-compatible
 * servers on loopback that answer 401. A refused key pauses its provider once, says which
 * key to fix, and gives the attempts back only twice; a job's own loopback endpoint that
 * answers 401 is the job's settings (VALIDATION) and pauses no one.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/contract'
import type { JobDetail } from '../../src/shared/jobs'
import * as OpenAIErrors from 'openai/core/error'
import { createEngine, type Engine } from '../../src/main/engine'
import { classify } from '../../src/workers/classify'
import { authContext, LOCAL_PLACEHOLDER_KEY, reach } from '../../src/workers/providers/endpoint'
import { OPENAI_DEFAULT_BASE_URL } from '../../src/workers/providers/openai'
import { genopsAsync } from '../support/cli'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
const servers: FakeOpenAI[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(dataDir = tempDir()): Promise<{ engine: Engine; dataDir: string; notices: string[] }> {
  const engine = await createEngine({
    dataDir,
    threads: 1,
    concurrency: 8,
    pollMs: 50,
    stallSweepMs: 500,
    backoff: { baseMs: 50, maxMs: 200 },
    artifacts: false,
  })
  engines.push(engine)
  const notices: string[] = []
  engine.subscribe((event: EngineEvent) => event.type === 'notice' && notices.push(event.data.message))
  return { engine, dataDir, notices }
}

/** `connection: close` on refusals: a keep-alive socket the server drops between rounds would fail an attempt as NETWORK instead. */
const REFUSE = { status: 401, headers: { connection: 'close' } }

async function fake(fault: FakeOpenAI['fault'] = null): Promise<FakeOpenAI> {
  const server = await startFakeOpenAI({ fault })
  servers.push(server)
  return server
}

const jobs = (engine: Engine, ids: number[]) => Promise.all(ids.map((id) => engine.call('getJob', { id })))
/** Refused keys among a job's attempts. */
const authAttempts = (job: JobDetail) => job.attempts.filter((attempt) => attempt.errorCategory === 'AUTH').length
const pauseNotices = (notices: string[], provider: string) => notices.filter((notice) => notice.startsWith(`provider ${provider} paused`))

describe('AUTH failures', () => {
  it('pause the provider once, name the key file by profile, and kill the job as AUTH after two refunds', async () => {
    const { engine, dataDir, notices } = await start()
    const server = await fake(REFUSE)
    const keyFile = join(dataDir, 'keyed.key')
    writeFileSync(keyFile, 'sk-wrong-key-1234567890\n', { mode: 0o600 })
    await engine.call('saveProvider', { name: 'keyed', provider: 'openai', model: 'gpt-test', baseUrl: server.url, keyFile })
    const { jobIds } = await engine.call('enqueueJobs', {
      jobs: [{ prompt: 'one' }, { prompt: 'two' }, { prompt: 'three' }],
      defaults: { provider: 'keyed', attempts: 5 },
    })

    for (let round = 1; round <= 2; round++) {
      // Every job ran once more and was given back; the provider was paused once for all of them.
      await waitFor(
        () => jobs(engine, jobIds),
        (all) => all.every((job) => job.state === 'queued' && authAttempts(job) === round),
        { what: `round ${round}: every job refused and given back`, timeoutMs: 40_000 },
      )
      expect(pauseNotices(notices, 'keyed')).toHaveLength(round)
      const { pauses } = await engine.call('listProviderPauses', {})
      expect(pauses.map((pause) => pause.provider)).toEqual(['keyed'])
      expect(pauses[0]!.reason).toMatch(/HTTP 401.*the key sent was the key file of profile "keyed"/)
      expect(pauses[0]!.reason).not.toContain(keyFile)
      expect(pauses[0]!.reason).not.toContain('sk-wrong-key-1234567890')
      // Given back: only failures of another kind count against the job.
      for (const job of await jobs(engine, jobIds)) expect(job.attemptsMade).toBe(job.attempts.length - authAttempts(job))
      // The operator resumes it without fixing the key: from the CLI, as the notice says, then from the app.
      if (round === 1) expect((await genopsAsync(['providers', 'resume', 'keyed', '--data-dir', dataDir])).stdout).toMatch(/keyed: resumed/)
      else expect(await engine.call('resumeProvider', { provider: 'keyed' })).toEqual({ resumed: true })
    }

    const dead = await waitFor(
      () => jobs(engine, jobIds),
      (all) => all.every((job) => job.state === 'dead'),
      { what: 'every job dead after its third refusal' },
    )
    for (const job of dead) {
      expect(authAttempts(job)).toBe(3)
      expect(job.attempts.at(-1)!.errorCategory).toBe('AUTH')
      expect(job.lastError).toMatch(/refused 3 times, each given back/)
    }
  }, 120_000)

  it("say that no key was sent when the profile has none: the environment's key never goes to its endpoint", async () => {
    const saved = process.env.OPENAI_API_KEY
    process.env.OPENAI_API_KEY = 'sk-env-key-abcdef123456'
    try {
      const { engine, notices } = await start()
      const server = await fake(REFUSE)
      await engine.call('saveProvider', { name: 'keyless', provider: 'openai', model: 'gpt-test', baseUrl: server.url })
      const { jobIds } = await engine.call('enqueueJobs', { jobs: [{ prompt: 'one' }], defaults: { provider: 'keyless' } })
      await waitFor(
        () => jobs(engine, jobIds),
        ([job]) => job!.attempts.length === 1,
        { what: 'the attempt refused' },
      )
      expect(pauseNotices(notices, 'keyless')).toHaveLength(1)
      expect(pauseNotices(notices, 'keyless')[0]).toMatch(/no key was sent: profile "keyless" has none \(give it a key file\)/)
      expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${LOCAL_PLACEHOLDER_KEY}`)
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY
      else process.env.OPENAI_API_KEY = saved
    }
  })

  it("name the environment variable when the key came from it (the provider's own endpoint)", () => {
    const saved = process.env.OPENAI_API_KEY
    process.env.OPENAI_API_KEY = 'sk-env-key-abcdef123456'
    try {
      const to = reach({ name: 'openai', variable: 'OPENAI_API_KEY', defaultUrl: OPENAI_DEFAULT_BASE_URL }, undefined, undefined)
      const refused = classify(OpenAIErrors.APIError.generate(401, { error: { message: 'Incorrect API key provided' } }, undefined, new Headers()), {
        aborted: false,
        ...authContext(to),
      })
      expect({ category: refused.category, message: refused.message }).toEqual({
        category: 'AUTH',
        message: 'HTTP 401 not authenticated: Incorrect API key provided; the key sent was OPENAI_API_KEY in the environment GenOps runs in',
      })
    } finally {
      if (saved === undefined) delete process.env.OPENAI_API_KEY
      else process.env.OPENAI_API_KEY = saved
    }
  })

  it("are the job's own settings when its own loopback endpoint refuses it: VALIDATION, and the shared provider keeps running", async () => {
    const { engine, notices } = await start()
    const refusing = await fake(REFUSE)
    const answering = await fake()
    const { jobIds: refused } = await engine.call('enqueueJobs', {
      jobs: [{ prompt: 'to a server that wants a key', config: { baseUrl: refusing.url } }],
      defaults: { provider: 'openai', model: 'local-model', attempts: 3 },
    })
    const [job] = await waitFor(
      () => jobs(engine, refused),
      ([one]) => one!.state === 'dead',
      { what: 'the job dead' },
    )
    expect(job).toMatchObject({ state: 'dead', attemptsMade: 1 })
    expect(job!.attempts.map((attempt) => attempt.errorCategory)).toEqual(['VALIDATION'])
    expect(job!.lastError).toMatch(/HTTP 401 refused: .*config\.baseUrl wants credentials, and GenOps sends none/)
    // No key of any kind went to the job's server.
    expect(refusing.requests[0]!.headers.authorization).toBe('Bearer no-key-needed-for-local-server')

    const { jobIds: others } = await engine.call('enqueueJobs', {
      jobs: [{ prompt: 'another job on openai', config: { baseUrl: answering.url } }],
      defaults: { provider: 'openai', model: 'local-model' },
    })
    await waitFor(
      () => jobs(engine, others),
      ([one]) => one!.state === 'completed',
      { what: 'the other openai job completed' },
    )
    expect((await engine.call('listProviderPauses', {})).pauses).toEqual([])
    expect(pauseNotices(notices, 'openai')).toEqual([])
  })
})
