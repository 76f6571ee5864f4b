/**
 * The real-world resilience bench (issue 12): what a user with a hosted provider meets on
 * day one, each figure beside the run it should be read against.
 *
 * (a) sim jobs at 200 ms median latency with sustained faults (10% 503, 1% timeouts at a
 *     2 s attempt limit), beside the fault-free run of the same jobs: goodput ratio and
 *     breaker openings.
 * (b) the quota server (test/support/fake-quota-openai.ts) with a compressed window, the
 *     run bounded in time: the share of attempts answered 429 and the share of the quota used.
 * (c) the same server healthy, then 503 for every request (an outage) in the middle, then
 *     healthy: attempts started while the breaker was open, and seconds from recovery to
 *     the completion rate seen before the outage.
 */
import Sqlite from 'better-sqlite3'
import { createEngine, type Engine } from '../src/main/engine'
import { databaseFile } from '../src/main/paths'
import { startFakeQuotaOpenAI, type FakeQuotaOpenAI } from '../test/support/fake-quota-openai'
import { formatNumber, machine, sleep, table, tempDir, type TempDir } from './support'

interface RealWorldOptions {
  quick: boolean
  command: string
}

const ENQUEUE_CHUNK = 5000

async function enqueue(engine: Engine, jobs: number, defaults: Record<string, unknown>): Promise<void> {
  for (let i = 0; i < jobs; i += ENQUEUE_CHUNK) {
    await engine.call('enqueueJobs', {
      jobs: Array.from({ length: Math.min(ENQUEUE_CHUNK, jobs - i) }, (_, k) => ({ prompt: `real world ${i + k}` })),
      defaults,
    })
  }
}

/** Waits until nothing is queued, delayed or running, or `deadline` passes; true when drained. */
async function drained(engine: Engine, deadline: number): Promise<boolean> {
  for (;;) {
    const { counts } = await engine.call('queueStats', {})
    if (counts.queued + counts.delayed + counts.active === 0) return true
    if (Date.now() > deadline) return false
    await sleep(50)
  }
}

function withDb<T>(dir: TempDir, read: (db: Sqlite.Database) => T): T {
  const db = new Sqlite(databaseFile(dir.path), { readonly: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}

const count = (db: Sqlite.Database, sql: string, ...params: unknown[]) =>
  db
    .prepare(sql)
    .pluck()
    .get(...params) as number

/** [from, to) spans in which a breaker was open, from its transitions. */
function openSpans(db: Sqlite.Database, until: number): [number, number][] {
  const rows = db.prepare('SELECT at, to_state FROM breaker_events ORDER BY id').raw().all() as [number, string][]
  const spans: [number, number][] = []
  for (const [i, [at, to]] of rows.entries()) if (to === 'open') spans.push([at, rows[i + 1]?.[0] ?? until])
  return spans
}

// (a) ---------------------------------------------------------------------------------------

interface SimRun {
  completed: number
  dead: number
  attempts: number
  seconds: number
  drained: boolean
  openings: number
}

async function simRun(jobs: number, faults: boolean, boundMs: number): Promise<SimRun> {
  const dir = tempDir('real-world')
  const engine = await createEngine({ dataDir: dir.path, artifacts: false })
  try {
    await engine.call('pauseQueue', {})
    const config = { latencyMs: 200, latencySpread: 0.5, timeoutMs: 2000, ...(faults && { faults: { unavailable: 0.1, timeout: 0.01 } }) }
    await enqueue(engine, jobs, { config, attempts: 5 })
    const started = Date.now()
    await engine.call('resumeQueue', {})
    const done = await drained(engine, started + boundMs)
    const seconds = (Date.now() - started) / 1000
    await engine.close(3000)
    return withDb(dir, (db) => ({
      completed: count(db, `SELECT count(*) FROM jobs WHERE state = 'completed'`),
      dead: count(db, `SELECT count(*) FROM jobs WHERE state = 'dead'`),
      attempts: count(db, 'SELECT count(*) FROM job_attempts'),
      seconds,
      drained: done,
      openings: count(db, `SELECT count(*) FROM breaker_events WHERE to_state = 'open'`),
    }))
  } finally {
    await engine.close(1000).catch(() => {})
    dir.remove()
  }
}

// (b) and (c) -------------------------------------------------------------------------------

async function quotaEngine(fake: FakeQuotaOpenAI, dir: TempDir): Promise<Engine> {
  const engine = await createEngine({ dataDir: dir.path, artifacts: false })
  await engine.call('saveProvider', { name: 'quota', provider: 'openai', baseUrl: fake.url, model: 'gpt-test' })
  await engine.call('pauseQueue', {})
  return engine
}

interface QuotaRun {
  windowMs: number
  limit: number
  attempts: number
  rateLimited: number
  admitted: number
  allowed: number
  seconds: number
  completed: number
}

async function quotaRun(quick: boolean): Promise<QuotaRun> {
  const windowMs = quick ? 5000 : 10_000
  const limit = quick ? 200 : 400
  const boundMs = quick ? 30_000 : 180_000
  // Enough work to keep the quota busy for the whole bound, and more.
  const jobs = Math.ceil((limit * boundMs) / windowMs) + limit
  const fake = await startFakeQuotaOpenAI({
    requestsPerWindow: limit,
    tokensPerWindow: limit * 40,
    windowMs,
    text: 'a steady answer of a few words',
    chunkDelayMs: 20,
  })
  const dir = tempDir('real-world-quota')
  let engine: Engine | undefined
  try {
    engine = await quotaEngine(fake, dir)
    // "real world N" is 3 or 4 tokens to the server, plus max_tokens 24: about 28 a request, so requests bind first.
    await enqueue(engine, jobs, { provider: 'quota', config: { maxTokens: 24 }, attempts: 5 })
    const started = Date.now()
    await engine.call('resumeQueue', {})
    await drained(engine, started + boundMs)
    const ended = Date.now()
    await engine.close(3000)
    engine = undefined
    // The windows that lay wholly inside the run: what they admitted against what they allowed.
    const windows = fake.usage().filter((window) => window.start >= started && window.start + windowMs <= ended)
    const admitted = windows.reduce((sum, window) => sum + window.requests, 0)
    return withDb(dir, (db) => ({
      windowMs,
      limit,
      attempts: count(db, 'SELECT count(*) FROM job_attempts'),
      rateLimited: count(db, `SELECT count(*) FROM job_attempts WHERE error_category = 'RATE_LIMIT'`),
      admitted,
      allowed: windows.length * limit,
      seconds: (ended - started) / 1000,
      completed: count(db, `SELECT count(*) FROM jobs WHERE state = 'completed'`),
    }))
  } finally {
    await engine?.close(1000).catch(() => {})
    await fake.close()
    dir.remove()
  }
}

interface OutageRun {
  outageMs: number
  openings: number
  startedWhileOpen: number
  startedInOutage: number
  baselinePerSecond: number
  recoverySeconds: number | null
  completed: number
  dead: number
}

async function outageRun(quick: boolean): Promise<OutageRun> {
  const beforeMs = quick ? 8000 : 15_000
  const outageMs = quick ? 10_000 : 20_000
  // Long enough for a breaker that opened twice in the outage to probe again and ramp up.
  const afterMs = quick ? 25_000 : 45_000
  const fake = await startFakeQuotaOpenAI({
    requestsPerWindow: 1_000_000,
    tokensPerWindow: 1_000_000_000,
    windowMs: 60_000,
    text: 'word '.repeat(10),
    chunkDelayMs: 40,
  })
  const dir = tempDir('real-world-outage')
  let engine: Engine | undefined
  try {
    engine = await quotaEngine(fake, dir)
    // More than the run can finish: the rate stays bounded by the engine, not by the work left.
    await enqueue(engine, quick ? 15_000 : 40_000, { provider: 'quota', config: { maxTokens: 16 }, attempts: 8 })
    const started = Date.now()
    await engine.call('resumeQueue', {})
    await sleep(beforeMs)
    const outageAt = Date.now()
    fake.outage = true
    await sleep(outageMs)
    fake.outage = false
    const recoveredAt = Date.now()
    await sleep(afterMs)
    const ended = Date.now()
    await engine.close(3000)
    engine = undefined
    return withDb(dir, (db) => {
      const spans = openSpans(db, ended)
      const startedIn = (from: number, to: number) => count(db, 'SELECT count(*) FROM job_attempts WHERE started_at >= ? AND started_at < ?', from, to)
      const okIn = (from: number, to: number) =>
        count(db, `SELECT count(*) FROM job_attempts WHERE outcome = 'ok' AND ended_at >= ? AND ended_at < ?`, from, to)
      // The rate before the outage, leaving out the first seconds of ramp-up.
      const baseFrom = started + Math.min(3000, beforeMs / 2)
      const baselinePerSecond = (okIn(baseFrom, outageAt) * 1000) / (outageAt - baseFrom)
      let recoverySeconds: number | null = null
      for (let at = recoveredAt; at + 1000 <= ended; at += 250) {
        if (okIn(at, at + 1000) >= 0.9 * baselinePerSecond) {
          recoverySeconds = (at + 1000 - recoveredAt) / 1000
          break
        }
      }
      return {
        outageMs,
        openings: spans.length,
        startedWhileOpen: spans.reduce((sum, [from, to]) => sum + startedIn(from, to), 0),
        startedInOutage: startedIn(outageAt, recoveredAt),
        baselinePerSecond,
        recoverySeconds,
        completed: count(db, `SELECT count(*) FROM jobs WHERE state = 'completed'`),
        dead: count(db, `SELECT count(*) FROM jobs WHERE state = 'dead'`),
      }
    })
  } finally {
    await engine?.close(1000).catch(() => {})
    await fake.close()
    dir.remove()
  }
}

export async function runRealWorldBench({ quick, command }: RealWorldOptions): Promise<void> {
  const jobs = quick ? 2000 : 10_000
  const boundMs = quick ? 120_000 : 600_000
  const host = machine()
  console.log('GenOps real-world resilience benchmark' + (quick ? ' (--quick: smaller N, a smoke run)' : ''))
  console.log(`command: ${command}`)
  console.log(`machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}`)

  console.log(
    `\n(a) ${formatNumber(jobs)} sim jobs, 200 ms median latency (log-normal, sigma 0.5), 2 s attempt limit, 5 attempts, createEngine defaults;\n` +
      `    faulty run: sustained 10% 503 and 1% timeouts, for the whole run. Each run bounded at ${boundMs / 1000} s.`,
  )
  const clean = await simRun(jobs, false, boundMs)
  const faulty = await simRun(jobs, true, boundMs)
  const rate = (run: SimRun) => run.completed / run.seconds
  console.log(
    table(
      ['', 'fault-free', 'sustained faults'],
      [
        ['completed', formatNumber(clean.completed), formatNumber(faulty.completed)],
        ['dead', formatNumber(clean.dead), formatNumber(faulty.dead)],
        ['attempts', formatNumber(clean.attempts), formatNumber(faulty.attempts)],
        ['drained within the bound', clean.drained ? 'yes' : 'no', faulty.drained ? 'yes' : 'no'],
        ['time (s)', formatNumber(clean.seconds, 1), formatNumber(faulty.seconds, 1)],
        ['goodput (completed/s)', formatNumber(rate(clean), 1), formatNumber(rate(faulty), 1)],
        ['breaker openings', String(clean.openings), String(faulty.openings)],
      ],
    ),
  )
  console.log(`goodput ratio (sustained faults / fault-free): ${formatNumber(rate(faulty) / rate(clean), 2)}`)

  const quota = await quotaRun(quick)
  console.log(
    `\n(b) the quota server: ${quota.limit} requests and ${quota.limit * 40} tokens per ${quota.windowMs / 1000} s window, 429 with Retry-After past it;\n` +
      '    a profile with no limits of its own (what it learns from the headers is all it has); run bounded in time.',
  )
  console.log(
    table(
      ['', 'quota server'],
      [
        ['run (s)', formatNumber(quota.seconds, 1)],
        ['completed', formatNumber(quota.completed)],
        ['attempts', formatNumber(quota.attempts)],
        ['answered 429', formatNumber(quota.rateLimited)],
        ['429 share of attempts', `${formatNumber((100 * quota.rateLimited) / Math.max(1, quota.attempts), 2)}%`],
        ['requests admitted / allowed, whole windows in the run', `${formatNumber(quota.admitted)} / ${formatNumber(quota.allowed)}`],
        ['share of the quota used', `${formatNumber((100 * quota.admitted) / Math.max(1, quota.allowed), 1)}%`],
      ],
    ),
  )

  const outage = await outageRun(quick)
  console.log(
    `\n(c) the same server with room to spare, then every request 503 for ${outage.outageMs / 1000} s in the middle, then healthy;\n` +
      '    ~0.4 s a request (10 chunks, 40 ms apart), 8 attempts a job, breaker defaults.',
  )
  console.log(
    table(
      ['', 'outage'],
      [
        ['breaker openings', String(outage.openings)],
        ['attempts started in the outage', formatNumber(outage.startedInOutage)],
        ['attempts started while the breaker was open', formatNumber(outage.startedWhileOpen)],
        ['completions/s before the outage', formatNumber(outage.baselinePerSecond, 1)],
        ['s from recovery to 90% of that rate', outage.recoverySeconds === null ? 'not reached' : formatNumber(outage.recoverySeconds, 2)],
        ['completed / dead at the end', `${formatNumber(outage.completed)} / ${formatNumber(outage.dead)}`],
      ],
    ),
  )
}
