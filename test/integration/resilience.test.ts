/**
 * The resilience layer end to end: a real engine, the real pool and the simulator in an
 * outage. The attempt log in SQLite is the witness: no attempt starts for a provider
 * while its breaker is open, a batch's cap holds at every instant, and nothing is lost.
 */
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/contract'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(2000)))
})

async function start(dataDir = tempDir(), overrides: Partial<Parameters<typeof createEngine>[0]> = {}): Promise<Engine> {
  const engine = await createEngine({
    dataDir,
    threads: 1,
    concurrency: 16,
    pollMs: 50,
    stallSweepMs: 200,
    backoff: { baseMs: 50, maxMs: 400 },
    breaker: { failureRatio: 0.5, window: 10, minimumAttempts: 6, openMs: 300, maxOpenMs: 1500 },
    artifacts: false,
    ...overrides,
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

/** The most attempts of one batch running at any instant, from the attempt log (an end at the same millisecond as a start comes first). */
function peakConcurrency(spans: { started_at: number; ended_at: number }[]): number {
  const edges = spans.flatMap((s) => [
    [s.started_at, 1],
    [s.ended_at, -1],
  ])
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!)
  let running = 0
  let peak = 0
  for (const [, delta] of edges) peak = Math.max(peak, (running += delta!))
  return peak
}

describe('resilience', () => {
  it('holds a provider in an outage behind its breaker, keeps the batch cap, and finishes every job once the provider recovers', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    const notices: string[] = []
    engine.subscribe((event: EngineEvent) => event.type === 'notice' && notices.push(event.data.message))
    // The outage lives in the profile: saving the profile without its faults ends it, whatever the machine's speed.
    const steady = { latencyMs: 10, timeoutMs: 200, retryAfterMs: 300 }
    await engine.call('saveProvider', { name: 'flaky', provider: 'sim', config: { ...steady, faults: { unavailable: 0.5, rateLimit: 0.2, timeout: 0.1 } } })
    const flaky = await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 120 }, (_, i) => ({ prompt: `outage ${i}` })),
      defaults: { provider: 'flaky', attempts: 10 },
      batchName: 'outage',
      maxConcurrency: 4,
    })
    const invalid = await engine.call('enqueueJobs', {
      jobs: Array.from({ length: 5 }, (_, i) => ({ prompt: `bad ${i}`, config: { failAttempts: 10, failCategory: 'VALIDATION' } })),
      defaults: { provider: 'flaky' },
      batchName: 'invalid',
    })
    const healthy = await engine.call('enqueueJobs', { jobs: Array.from({ length: 20 }, (_, i) => ({ prompt: `steady ${i}` })), batchName: 'steady' })

    // While the breaker is open its jobs show why they wait.
    await waitFor(
      async () => (await engine.call('listBreakers', {})).breakers.find((b) => b.name === 'flaky')?.state,
      (state) => state === 'open',
      { what: 'the breaker to open', timeoutMs: 60_000 },
    )
    const { jobs: queued } = await engine.call('listJobs', { state: 'queued', batchId: flaky.batchId, limit: 500 })
    expect(queued.some((job) => /held: (breaker open until|flaky asked to wait)/.test(job.held ?? ''))).toBe(true)
    const report = await engine.call('healthReport', {})
    expect(report.checks.find((check) => check.name === 'breaker:flaky')).toMatchObject({ critical: false })
    await engine.call('saveProvider', { name: 'flaky', provider: 'sim', config: steady })

    await finished(engine, 145)
    const { counts } = await engine.call('queueStats', {})
    expect(counts.completed + counts.dead).toBe(145)

    const log = readBack(dataDir, (db) => ({
      transitions: db.prepare(`SELECT at, from_state, to_state, open_until FROM breaker_events WHERE breaker = 'flaky' ORDER BY id`).all() as {
        at: number
        from_state: string
        to_state: string
        open_until: number | null
      }[],
      flakyStarts: db.prepare(`SELECT a.started_at FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.provider = 'flaky'`).pluck().all() as number[],
      batchSpans: db.prepare('SELECT a.started_at, a.ended_at FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE j.batch_id = ?').all(flaky.batchId) as {
        started_at: number
        ended_at: number
      }[],
      dead: db.prepare(`SELECT batch_id, error_category FROM jobs WHERE state = 'dead'`).all() as { batch_id: number; error_category: string }[],
      total: db.prepare('SELECT count(*) FROM jobs').pluck().get() as number,
    }))

    // The breaker opened, and closed again once the provider was healthy.
    const path = log.transitions.map((t) => `${t.from_state}>${t.to_state}`)
    expect(path[0]).toBe('closed>open')
    expect(path).toContain('open>half-open')
    expect(path.at(-1)).toBe('half-open>closed')
    expect(notices.some((n) => /breaker flaky opened/.test(n))).toBe(true)

    // No attempt of the provider started while its breaker was open: after each opening, the
    // next start is the single probe, claimed once the wait was over (it turns the breaker half-open as it starts).
    for (const [i, t] of log.transitions.entries()) {
      if (t.to_state !== 'open') continue
      const next = log.transitions[i + 1]!
      expect(next.to_state).toBe('half-open')
      const during = log.flakyStarts.filter((at) => at > t.at && at <= next.at)
      expect(during.length).toBeLessThanOrEqual(1)
      for (const at of during) expect(at).toBeGreaterThanOrEqual(t.open_until!)
    }

    // The planted invalid jobs are dead as VALIDATION after one attempt; the steady batch never noticed the outage.
    const deadInvalid = log.dead.filter((d) => d.batch_id === invalid.batchId)
    expect(deadInvalid).toHaveLength(5)
    expect(new Set(deadInvalid.map((d) => d.error_category))).toEqual(new Set(['VALIDATION']))
    expect(log.dead.filter((d) => d.batch_id === healthy.batchId)).toEqual([])
    for (const d of log.dead.filter((d) => d.batch_id === flaky.batchId)) expect(['SERVICE_UNAVAILABLE', 'RATE_LIMIT', 'TIMEOUT']).toContain(d.error_category)

    // The cap of four held at every instant, and nothing was lost.
    expect(peakConcurrency(log.batchSpans)).toBeLessThanOrEqual(4)
    expect(peakConcurrency(log.batchSpans)).toBeGreaterThan(1)
    expect(log.total).toBe(145)
  }, 90_000)

  it('pauses a provider whose key is refused, gives the attempt back, and runs its jobs once resumed', async () => {
    const engine = await start()
    const notices: string[] = []
    engine.subscribe((event: EngineEvent) => event.type === 'notice' && notices.push(event.data.message))
    await engine.call('saveProvider', { name: 'badkey', provider: 'sim', config: { faults: { auth: 1 } } })
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 5 }, (_, i) => ({ prompt: `key ${i}` })), defaults: { provider: 'badkey', attempts: 1 } })
    await waitFor(
      async () => (await engine.call('listProviderPauses', {})).pauses,
      (pauses) => pauses.some((p) => p.provider === 'badkey'),
      { what: 'the provider to be paused' },
    )
    await waitFor(
      async () => (await engine.call('queueStats', {})).counts,
      (c) => c.active === 0 && c.queued === 5,
      { what: 'every job back in the queue' },
    )
    const { jobs } = await engine.call('listJobs', { limit: 10 })
    for (const job of jobs) {
      expect(job.attemptsMade).toBe(0)
      expect(job.held).toMatch(/held: provider badkey is paused \(its API key was refused/)
    }
    expect(notices.some((n) => /provider badkey paused: its API key was refused.*genops providers resume badkey/.test(n))).toBe(true)

    await engine.call('saveProvider', { name: 'badkey', provider: 'sim' })
    expect(await engine.call('resumeProvider', { provider: 'badkey' })).toEqual({ resumed: true })
    await finished(engine, 5)
    expect((await engine.call('queueStats', {})).counts.completed).toBe(5)
  })

  it("takes the CLI's breaker commands while the engine runs", async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    const open = await genopsAsync(['breakers', 'open', 'sim', '--data-dir', dataDir])
    expect(open.stderr).toBe('')
    expect(open.stdout).toMatch(/sim: held open/)
    // listBreakers shows the record for a breaker this engine has not run yet; its health check appears once the engine applied it.
    await waitFor(
      () => engine.health.has('breaker:sim'),
      (applied) => applied,
      { what: 'the engine to apply the command' },
    )
    expect((await engine.call('listBreakers', {})).breakers.find((b) => b.name === 'sim')?.state).toBe('isolated')
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'waits' }] })
    await waitFor(
      async () => (await engine.call('listJobs', { limit: 1 })).jobs[0]?.held,
      (held) => held === 'held: breaker held open by the operator',
      { what: 'the job to show it is held' },
    )
    const listed = await genopsAsync(['breakers', 'list', '--data-dir', dataDir])
    expect(listed.stdout).toMatch(/sim\s+isolated/)
    const reset = await genopsAsync(['breakers', 'reset', 'sim', '--data-dir', dataDir])
    expect(reset.stdout).toMatch(/sim: reset to closed/)
    await finished(engine, 1)
    const history = (await engine.call('listBreakers', {})).breakers.find((b) => b.name === 'sim')!.transitions
    expect(history.map((t) => `${t.from}>${t.to}`)).toEqual(['isolated>closed', 'closed>isolated'])
    // Its recent attempts, counted from the record: the CLI sees what the engine ran.
    const counted = await genopsAsync(['breakers', 'list', '--data-dir', dataDir])
    expect(counted.stdout).toMatch(/^BREAKER +STATE +SINCE +OK 5M +FAILED 5M +REASON$/m)
    expect(counted.stdout).toMatch(/^sim +closed +[\d-]+ [\d:]+ +1 +0 +reset by the operator$/m)
  })

  it('keeps a breaker the operator held open held across a restart, until they reset it', async () => {
    const dataDir = tempDir()
    const first = await start(dataDir)
    await first.call('openBreaker', { name: 'sim' })
    await first.close(2000)
    engines.splice(engines.indexOf(first), 1)

    const engine = await start(dataDir)
    expect((await engine.call('listBreakers', {})).breakers.find((b) => b.name === 'sim')?.state).toBe('isolated')
    const { jobIds } = await engine.call('enqueueJobs', { jobs: [{ prompt: 'still waits' }] })
    await waitFor(
      () => engine.call('getJob', { id: jobIds[0]! }),
      (job) => job.held === 'held: breaker held open by the operator',
      { what: 'the job to be held after the restart' },
    )
    await engine.call('resetBreaker', { name: 'sim' })
    await finished(engine, 1)
  })
})

describe('rate limits', () => {
  it('start no more than the requests per minute a profile allows in any window (a minute compressed into 3 s)', async () => {
    const dataDir = tempDir()
    const windowMs = 3000
    const engine = await start(dataDir, { rateLimits: { windowMs, cooldownAfter: 3, cooldownWithinMs: 3000 } })
    await engine.call('saveProvider', { name: 'metered', provider: 'sim', limits: { requestsPerMinute: 20 } })
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 25 }, (_, i) => ({ prompt: `metered ${i}` })), defaults: { provider: 'metered' } })
    await waitFor(
      async () => (await engine.call('queueStats', {})).counts.completed,
      (n) => n === 20,
      { what: 'the first window of work' },
    )
    const { jobs } = await engine.call('listJobs', { state: 'queued', limit: 1 })
    expect(jobs[0]?.held).toMatch(/held: metered is at its limit of 20 requests a minute until/)
    await finished(engine, 25)
    const starts = readBack(dataDir, (db) => db.prepare('SELECT started_at FROM job_attempts ORDER BY started_at').pluck().all() as number[])
    expect(starts).toHaveLength(25)
    for (const [i, at] of starts.entries()) expect(starts.filter((s) => s >= at && s < at + windowMs).length, `window from start ${i}`).toBeLessThanOrEqual(20)
    expect(starts[20]! - starts[0]!).toBeGreaterThanOrEqual(windowMs)
  })
})
