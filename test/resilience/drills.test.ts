/**
 * Resilience drills: a real engine, the real pool and the simulator in the weather a hosted
 * provider has on a bad day, with time compressed by the engine's configuration (short
 * breaker waits, capped low). The attempt log and the breaker history in SQLite and the
 * engine's metrics are the witnesses: counts, never times.
 */
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { sim } from '../../src/workers/providers/sim'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const CONCURRENCY = 32
const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
})

async function start(dataDir: string): Promise<Engine> {
  const engine = await createEngine({
    dataDir,
    threads: 1,
    concurrency: CONCURRENCY,
    pollMs: 50,
    stallSweepMs: 1000,
    backoff: { baseMs: 20, maxMs: 200 },
    // The default window (100 attempts, 50 at least, more than half failed); waits compressed: 200 ms doubling to 1 s.
    breaker: { failureRatio: 0.5, window: 100, minimumAttempts: 50, openMs: 200, maxOpenMs: 1000 },
    rateLimits: { windowMs: 2000, cooldownAfter: 3, cooldownWithinMs: 3000 },
    artifacts: false,
  })
  engines.push(engine)
  return engine
}

const finished = (engine: Engine, n: number) =>
  waitFor(
    () => engine.call('queueStats', {}),
    (s) => s.counts.completed + s.counts.dead + s.counts.cancelled >= n,
    { what: `${n} finished jobs`, timeoutMs: 60_000 },
  )

function readBack<T>(dataDir: string, read: (db: Sqlite.Database) => T): T {
  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}

interface Attempt {
  job_id: number
  started_at: number
  ended_at: number
  outcome: string
  error_category: string | null
}
interface Transition {
  at: number
  from_state: string
  to_state: string
}

const attemptsOf = (db: Sqlite.Database, provider: string) =>
  db
    .prepare(
      `SELECT a.job_id, a.started_at, a.ended_at, a.outcome, a.error_category FROM job_attempts a JOIN jobs j ON j.id = a.job_id
       WHERE j.provider = ? ORDER BY a.started_at, a.id`,
    )
    .all(provider) as Attempt[]
const transitionsOf = (db: Sqlite.Database, breaker: string) =>
  db.prepare('SELECT at, from_state, to_state FROM breaker_events WHERE breaker = ? ORDER BY id').all(breaker) as Transition[]

/** One sample of a metric from the Prometheus text, by its labels; 0 when absent. */
async function sample(engine: Engine, name: string, labels: Record<string, string>): Promise<number> {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  const line = (await engine.metrics!.text()).split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)))
  return line ? Number(line.split(' ').at(-1)) : 0
}

describe('drills', () => {
  it('a sustained 10% of 503s over 1,000 jobs opens no breaker, keeps the full concurrency, and completes every job', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    await engine.call('saveProvider', { name: 'bad-hour', provider: 'sim', config: { latencyMs: 10, faults: { unavailable: 0.1 } } })
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 1000 }, (_, i) => ({ prompt: `hour ${i}` })),
      defaults: { provider: 'bad-hour', attempts: 6 },
    })
    await finished(engine, 1000)

    const { counts } = await engine.call('queueStats', {})
    expect(counts.completed).toBe(1000)
    const log = readBack(dataDir, (db) => ({ attempts: attemptsOf(db, 'bad-hour'), transitions: transitionsOf(db, 'bad-hour') }))
    const failed = log.attempts.filter((a) => a.outcome === 'error')
    // The faults were there (about one attempt in ten), and nothing opened.
    expect(failed.length).toBeGreaterThan(60)
    expect(failed.every((a) => a.error_category === 'SERVICE_UNAVAILABLE')).toBe(true)
    expect(log.transitions).toEqual([])
    expect(await sample(engine, 'genops_provider_concurrency_decreases_total', { provider: 'bad-hour' })).toBe(0)
    expect(await sample(engine, 'genops_provider_concurrency_limit', { provider: 'bad-hour' })).toBe(CONCURRENCY)
    const { breakers } = await engine.call('listBreakers', {})
    expect(breakers.find((b) => b.name === 'bad-hour')?.concurrency).toEqual({ limit: CONCURRENCY, ceiling: CONCURRENCY })
  }, 90_000)

  it('an outage holds the provider behind its breaker, starts nothing but probes while open, and ramps back to the full limit', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    const down = { latencyMs: 20, faults: { unavailable: 1 } }
    await engine.call('saveProvider', { name: 'outage', provider: 'sim', config: down })
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 400 }, (_, i) => ({ prompt: `outage ${i}` })),
      defaults: { provider: 'outage', attempts: 10 },
    })
    // Every call fails until the breaker has opened and a probe has failed; then the outage ends (faultsUntil: now), whatever the machine's speed.
    await waitFor(
      async () => (await engine.call('listBreakers', {})).breakers.find((b) => b.name === 'outage')?.transitions ?? [],
      (transitions) => transitions.some((t) => t.from === 'half-open' && t.to === 'open'),
      { what: 'a failed probe', timeoutMs: 30_000 },
    )
    await engine.call('saveProvider', { name: 'outage', provider: 'sim', config: { ...down, faultsUntil: Date.now() } })
    await finished(engine, 400)

    expect((await engine.call('queueStats', {})).counts.completed).toBe(400)
    const log = readBack(dataDir, (db) => ({ attempts: attemptsOf(db, 'outage'), transitions: transitionsOf(db, 'outage') }))
    const path = log.transitions.map((t) => `${t.from_state}>${t.to_state}`)
    expect(path[0]).toBe('closed>open')
    expect(path.at(-1)).toBe('half-open>closed')

    // While open, the only attempts that started are the probes (each turns the breaker half-open as it starts).
    let startedWhileOpen = 0
    for (const [i, t] of log.transitions.entries()) {
      if (t.to_state !== 'open') continue
      const next = log.transitions[i + 1]!
      startedWhileOpen += log.attempts.filter((a) => a.started_at > t.at && a.started_at <= next.at).length
    }
    const probes = path.filter((p) => p === 'open>half-open').length
    expect(probes).toBeGreaterThan(0)
    expect(startedWhileOpen).toBeLessThanOrEqual(probes)

    // After the probe closed it, the attempts at once never outran 1 + the successes since: slow start, not the whole concurrency.
    const closedAt = log.transitions.at(-1)!.at
    const after = log.attempts.filter((a) => a.started_at >= closedAt)
    let peak = 0
    for (const attempt of after) {
      const running = after.filter((a) => a.started_at <= attempt.started_at && a.ended_at > attempt.started_at).length
      const successes = log.attempts.filter((a) => a.outcome === 'ok' && a.ended_at >= closedAt && a.ended_at <= attempt.started_at).length
      expect(running, `attempts running at ${attempt.started_at}`).toBeLessThanOrEqual(1 + successes)
      peak = Math.max(peak, running)
    }
    // ... and it climbed back to the full limit.
    expect(peak).toBeGreaterThan(CONCURRENCY / 2)
    expect(await sample(engine, 'genops_provider_concurrency_limit', { provider: 'outage' })).toBe(CONCURRENCY)
  }, 90_000)

  it('a single 429 delays its own job by its Retry-After and holds none of the other jobs of its provider', async () => {
    // A prompt whose first attempt the simulator answers with a 429 and whose second goes through (draws are seeded by prompt and attempt).
    const config = { faults: { rateLimit: 0.5 }, retryAfterMs: 1000 }
    const answers = async (prompt: string, attempt: number) =>
      sim.generate({ prompt, attempt, config } as never, { signal: new AbortController().signal, onProgress: () => {} }).then(
        () => 'ok',
        (error: { category?: string }) => error.category,
      )
    let prompt = ''
    for (let i = 0; !prompt; i++) if ((await answers(`once ${i}`, 1)) === 'RATE_LIMIT' && (await answers(`once ${i}`, 2)) === 'ok') prompt = `once ${i}`

    const dataDir = tempDir()
    const engine = await start(dataDir)
    await engine.call('saveProvider', { name: 'metered', provider: 'sim', config: { latencyMs: 10 } })
    const [limited] = (await engine.call('enqueueJobs', { jobs: [{ prompt, priority: 'high', config }], defaults: { provider: 'metered' } })).jobIds
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 600 }, (_, i) => ({ prompt: `others ${i}` })), defaults: { provider: 'metered' } })
    await finished(engine, 601)

    const attempts = readBack(dataDir, (db) => attemptsOf(db, 'metered'))
    const own = attempts.filter((a) => a.job_id === limited)
    expect(own.map((a) => a.error_category ?? a.outcome)).toEqual(['RATE_LIMIT', 'ok'])
    expect(attempts.filter((a) => a.error_category === 'RATE_LIMIT')).toHaveLength(1)
    const [refused, retried] = own as [Attempt, Attempt]
    expect(retried.started_at).toBeGreaterThanOrEqual(refused.ended_at + 1000)
    // The provider did not cool down: its other jobs kept starting while the refused one waited.
    const meanwhile = attempts.filter((a) => a.job_id !== limited && a.started_at > refused.ended_at && a.started_at < retried.started_at)
    expect(meanwhile.length).toBeGreaterThan(0)
    // One 429 is one decrease of the limit, raised back to full as successes returned.
    expect(await sample(engine, 'genops_provider_concurrency_decreases_total', { provider: 'metered', signal: 'rate_limit' })).toBe(1)
    expect(await sample(engine, 'genops_provider_concurrency_limit', { provider: 'metered' })).toBe(CONCURRENCY)
  }, 90_000)
})
