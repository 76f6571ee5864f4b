/**
 * Fallbacks end to end: a real engine and pool, two fake OpenAI-compatible servers on
 * loopback, each a profile's endpoint with its own key file. While a profile's breaker is
 * held open or the profile is paused, its jobs run on its fallback, with the fallback's
 * endpoint, key, model and settings, and the attempt says so; a rate-limit hold waits.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { genops, genopsAsync } from '../support/cli'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { parseSamples, total } from '../support/prometheus-text'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
const servers: FakeOpenAI[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(dataDir: string): Promise<Engine> {
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
  return engine
}

function keyFile(dir: string, name: string, key: string): string {
  const path = join(dir, `${name}.key`)
  writeFileSync(path, `${key}\n`, { mode: 0o600 })
  return path
}

/** Two servers and three profiles: primary (falls back to backup), backup, and alone (no fallbacks). */
async function setUp(primaryExtra: Record<string, unknown> = {}) {
  const dataDir = tempDir()
  const [a, b] = [await startFakeOpenAI(), await startFakeOpenAI()]
  servers.push(a, b)
  const engine = await start(dataDir)
  await engine.call('saveProvider', {
    name: 'backup',
    provider: 'openai',
    model: 'model-b',
    baseUrl: b.url,
    keyFile: keyFile(dataDir, 'b', 'sk-backup-key-bbbb'),
    config: { temperature: 0.3 },
  })
  const primary = {
    name: 'primary',
    provider: 'openai' as const,
    model: 'model-a',
    baseUrl: a.url,
    keyFile: keyFile(dataDir, 'a', 'sk-primary-key-aaaa'),
    config: { temperature: 0.9 },
    fallbacks: ['backup'],
    ...primaryExtra,
  }
  await engine.call('saveProvider', primary)
  await engine.call('saveProvider', { ...primary, name: 'alone', fallbacks: [] })
  return { dataDir, engine, a, b }
}

const enqueue = async (engine: Engine, provider: string, n: number) =>
  (await engine.call('enqueueJobs', { jobs: Array.from({ length: n }, (_, i) => ({ prompt: `${provider} ${i}` })), defaults: { provider } })).jobIds

const completed = (engine: Engine, ids: number[]) =>
  waitFor(
    () => Promise.all(ids.map((id) => engine.call('getJob', { id }))),
    (jobs) => jobs.every((job) => job.state === 'completed'),
    { what: `jobs ${ids.join(', ')} completed` },
  )

function attemptRows(dataDir: string): { job_id: number; provider: string; model: string | null; ran_on: string | null }[] {
  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  try {
    return db.prepare('SELECT job_id, provider, model, ran_on FROM job_attempts ORDER BY id').all() as never
  } finally {
    db.close()
  }
}

describe('fallbacks', () => {
  it("runs a profile's jobs on its fallback while its breaker is held open (genops breakers open), with the fallback's endpoint, key, model and settings", async () => {
    const { dataDir, engine, a, b } = await setUp()
    for (const breaker of ['primary/model-a', 'alone/model-a']) {
      const opened = await genopsAsync(['breakers', 'open', breaker, '--data-dir', dataDir])
      expect(opened.stderr).toBe('')
    }
    // The CLI writes operator commands; the engine applies them on its poll (listBreakers shows the record before that: a breaker
    // this engine has not seen yet has no state of its own), and then its health has a check for each.
    await waitFor(
      () => ['primary/model-a', 'alone/model-a'].every((name) => engine.health.has(`breaker:${name}`)),
      (applied) => applied,
      { what: 'both breakers held open in the engine' },
    )
    const [lonely] = await enqueue(engine, 'alone', 1)
    const ids = await enqueue(engine, 'primary', 4)
    await completed(engine, ids)

    expect(a.requests).toHaveLength(0)
    expect(b.requests).toHaveLength(4)
    for (const request of b.requests) {
      // Never the primary's key to the backup's endpoint.
      expect(request.headers.authorization).toBe('Bearer sk-backup-key-bbbb')
      expect(request.body).toMatchObject({ model: 'model-b', temperature: 0.3 })
    }
    const detail = await engine.call('getJob', { id: ids[0]! })
    expect(detail.attempts.map((attempt) => attempt.ranOn)).toEqual(['backup/model-b'])
    expect(attemptRows(dataDir).filter((row) => ids.includes(row.job_id))).toEqual(
      ids.map((id) => ({ job_id: id, provider: 'backup', model: 'model-b', ran_on: 'backup/model-b' })),
    )
    // `fallbacks: []` keeps today's hold: claimed beside the primary's jobs, never run.
    const held = await engine.call('getJob', { id: lonely! })
    expect(held).toMatchObject({ state: 'queued', attemptsMade: 0 })
    expect(held.held).toMatch(/breaker held open by the operator/)
  })

  it('runs them on the named fallback model while the profile is paused, and on the profile again once it is resumed', async () => {
    const { dataDir, engine, a, b } = await setUp({ fallbacks: ['backup/model-c'] })
    await engine.call('pauseProvider', { provider: 'primary', reason: 'maintenance' })
    const onFallback = await enqueue(engine, 'primary', 3)
    await completed(engine, onFallback)
    expect(b.requests.map((request) => request.body.model)).toEqual(['model-c', 'model-c', 'model-c'])
    expect(a.requests).toHaveLength(0)

    await engine.call('resumeProvider', { provider: 'primary' })
    const onOwn = await enqueue(engine, 'primary', 2)
    await completed(engine, onOwn)
    expect(a.requests).toHaveLength(2)
    expect(a.requests.every((request) => request.headers.authorization === 'Bearer sk-primary-key-aaaa')).toBe(true)
    const ranOn = new Map(attemptRows(dataDir).map((row) => [row.job_id, row.ran_on]))
    expect(onFallback.map((id) => ranOn.get(id))).toEqual(['backup/model-c', 'backup/model-c', 'backup/model-c'])
    expect(onOwn.map((id) => ranOn.get(id))).toEqual([null, null])
    expect((await engine.call('getJob', { id: onOwn[0]! })).attempts[0]!.ranOn).toBeNull()
  })

  it('does not fall back for a rate-limit hold: the jobs wait for their own provider', async () => {
    const { engine, b } = await setUp({ limits: { requestsPerMinute: 1 } })
    const rpmHolds = async () => total(parseSamples(await engine.metrics!.text()), 'genops_rate_limit_holds_total', { provider: 'primary', limit: 'rpm' })
    const ids = await enqueue(engine, 'primary', 3)
    const first = await waitFor(
      () => Promise.all(ids.map((id) => engine.call('getJob', { id }))),
      (jobs) => jobs.some((job) => job.state === 'completed'),
      { what: 'one job completed' },
    )
    // Claims keep weighing the held jobs (each counts a hold); none of them may take the fallback.
    const before = await rpmHolds()
    await waitFor(rpmHolds, (holds) => holds >= before + 3, { what: 'three more claims holding primary at its limit' })
    expect(b.requests).toHaveLength(0)
    const waiting = await Promise.all(ids.filter((_, i) => first[i]!.state !== 'completed').map((id) => engine.call('getJob', { id })))
    expect(waiting).toHaveLength(2)
    for (const job of waiting) {
      expect(job).toMatchObject({ state: 'queued', attemptsMade: 0 })
      expect(job.held).toMatch(/limit of 1 requests a minute/)
    }
  })

  it('refuses unknown, cyclic and self fallbacks when a profile is saved, naming the profile, through the API and the CLI', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    await engine.call('saveProvider', { name: 'b', provider: 'sim' })
    await expect(engine.call('saveProvider', { name: 'a', provider: 'sim', fallbacks: ['nope'] })).rejects.toThrow(
      /profile "a": fallback "nope" names no profile/,
    )
    await expect(engine.call('saveProvider', { name: 'a', provider: 'sim', fallbacks: ['b', 'a/other-model'] })).rejects.toThrow(
      /profile "a": fallback "a\/other-model" is the profile itself/,
    )
    await engine.call('saveProvider', { name: 'a', provider: 'sim', fallbacks: ['b'] })
    await expect(engine.call('saveProvider', { name: 'b', provider: 'sim', fallbacks: ['a'] })).rejects.toThrow(
      /profile "b": its fallbacks make a cycle \(b -> a -> b\)/,
    )
    await expect(engine.call('saveProvider', { name: 'b', provider: 'sim', fallbacks: ['openai'] })).rejects.toThrow(/a fallback is a profile name/)

    const unknown = genops(['providers', 'add', 'c', '--provider', 'sim', '--fallback', 'a', '--fallback', 'ghost', '--data-dir', dataDir])
    expect(unknown.status).not.toBe(0)
    expect(unknown.stderr).toMatch(/profile "c": fallback "ghost" names no profile/)
    expect(genops(['providers', 'add', 'c', '--provider', 'sim', '--fallback', 'a', '--fallback', 'b/sim-2', '--data-dir', dataDir]).status).toBe(0)
    const cycle = genops(['providers', 'add', 'b', '--provider', 'sim', '--fallback', 'c', '--data-dir', dataDir])
    expect(cycle.stderr).toMatch(/profile "b": its fallbacks make a cycle \(b -> c -> a -> b\)/)
    expect(genops(['providers', 'list', '--data-dir', dataDir]).stdout).toMatch(/^c: sim, falls back to a, b\/sim-2$/m)
    // A profile others fall back to cannot vanish under them.
    const removed = genops(['providers', 'remove', 'b', '--data-dir', dataDir])
    expect(removed.stderr).toMatch(/profile "b" is a fallback of profile "a"/)
    expect((await engine.call('listProviders', {})).profiles.map((profile) => profile.name)).toEqual(['a', 'b', 'c'])
    // Five CLI processes, each starting tsx: slow on a busy machine.
  }, 120_000)
})
