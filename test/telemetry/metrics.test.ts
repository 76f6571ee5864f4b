/**
 * The engine's metrics through its exporter, all real: an engine on a temp data directory,
 * the worker pool running the simulator, HTTP on 127.0.0.1 with a free port. The counters
 * must agree with what the engine finished and what the database recorded, labels must
 * stay bounded, and a planted API key must appear nowhere in /metrics.
 */
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { createServer, type Server } from 'node:net'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEngine, type Engine, type EngineConfig } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { ERROR_CATEGORIES } from '../../src/shared/errors'
import { FINISH_OUTCOMES, METRICS, NO_CATEGORY, QUEUE_METRIC_STATES } from '../../src/shared/metrics'
import { testKeychain } from '../support/keychain'
import { parseSamples, total, type Sample } from '../support/prometheus-text'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const KEY = 'sk-planted-profile-key-0123456789abcdef'
/** A key-like string in a failing job's error message (a property its output schema requires, and the output lacks). */
const KEY_IN_MESSAGE = 'sk-planted-in-a-message-9876543210fedcba'
const OPEN_METRICS = 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
// Under CI=true (.ci/run installs prometheus) a missing promtool fails the test instead of skipping it.
const PROMTOOL = spawnSync('promtool', ['--version']).status === 0 || process.env.CI === 'true'

const engines: Engine[] = []
const blockers: Server[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(1000)))
  for (const blocker of blockers.splice(0)) blocker.close()
  vi.restoreAllMocks()
})

async function start(overrides: Partial<EngineConfig> = {}): Promise<Engine> {
  const engine = await createEngine({
    dataDir: tempDir(),
    threads: 1,
    pollMs: 50,
    backoff: { baseMs: 10, maxMs: 20 },
    metrics: { exporter: { enabled: true, port: 0 } },
    ...overrides,
  })
  engines.push(engine)
  return engine
}

const scrape = (engine: Engine, headers: Record<string, string> = {}) => fetch(engine.exporterAddress!.url, { headers })
const samples = async (engine: Engine) => parseSamples(await (await scrape(engine)).text())
const finishedCount = async (engine: Engine) => {
  const { counts } = await engine.call('queueStats', {})
  return counts.completed + counts.dead + counts.cancelled
}

/** GET with a Host header of our choosing (fetch does not let one set it). */
function withHost(engine: Engine, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: engine.exporterAddress!.port, path, headers: { Host: host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

async function busyPort(): Promise<number> {
  const blocker = createServer().listen(0, '127.0.0.1')
  blockers.push(blocker)
  await once(blocker, 'listening')
  return (blocker.address() as { port: number }).port
}

/**
 * A run with every kind of ending: plain jobs, jobs through a profile that keeps an API
 * key, a retry that succeeds, jobs that always fail, a job that fails naming a key-like
 * placeholder, a cancelled delayed job and an idempotent repeat.
 */
async function busyEngine(): Promise<Engine> {
  const engine = await start({ secrets: testKeychain() })
  await engine.call('saveProvider', { name: 'keyed', provider: 'sim', model: 'sim-large', apiKey: KEY })
  await engine.call('enqueueJobs', {
    jobs: [
      ...Array.from({ length: 10 }, (_, i) => ({ prompt: `plain ${i}` })),
      ...Array.from({ length: 5 }, (_, i) => ({ prompt: `keyed ${i}`, provider: 'keyed' })),
      ...Array.from({ length: 3 }, (_, i) => ({ prompt: `retried ${i}`, config: { failAttempts: 1 } })),
      ...Array.from({ length: 2 }, (_, i) => ({ prompt: `down ${i}`, attempts: 2, config: { faults: { unavailable: 1 } } })),
      { prompt: 'misses a property', config: { output: { schema: { type: 'object', required: [KEY_IN_MESSAGE] } } } },
      { prompt: 'once', idempotencyKey: 'only-once' },
    ],
    // A few milliseconds each, so every successful attempt has a first token to time.
    defaults: { config: { latencyMs: 5 } },
  })
  const { jobIds } = await engine.call('enqueueJobs', {
    jobs: [
      { prompt: 'later', delayMs: 600_000 },
      { prompt: 'once again', idempotencyKey: 'only-once' },
    ],
  })
  await engine.call('cancelJob', { id: jobIds[0]! })
  await waitFor(
    () => finishedCount(engine),
    (n) => n === 23,
    { what: '23 finished jobs' },
  )
  await engine.idle()
  return engine
}

/** Every label value of GenOps's own metrics, by label name (histograms' bucket bounds, `le`, aside). */
function labelValues(all: Sample[]): Map<string, Set<string>> {
  const values = new Map<string, Set<string>>()
  for (const sample of all.filter((s) => s.name.startsWith('genops_'))) {
    for (const [name, value] of Object.entries(sample.labels)) {
      if (name === 'le') continue
      if (!values.has(name)) values.set(name, new Set())
      values.get(name)!.add(value)
    }
  }
  return values
}

describe('the metrics exporter', () => {
  it('counts what the engine finished, attempted and was told, in agreement with the database', async () => {
    const engine = await busyEngine()
    const all = await samples(engine)
    const { counts } = await engine.call('queueStats', {})
    expect(counts).toMatchObject({ completed: 19, dead: 3, cancelled: 1 })

    for (const outcome of FINISH_OUTCOMES) {
      expect(total(all, METRICS.jobsFinished, { outcome }), outcome).toBe(counts[outcome])
      expect(total(all, `${METRICS.jobDuration}_count`, { outcome }), outcome).toBe(counts[outcome])
    }
    // 22 in the first call and "later" in the second: the repeated idempotency key added nothing.
    expect(total(all, METRICS.jobsEnqueued)).toBe(23)
    expect(total(all, METRICS.jobsFinished, { provider: 'keyed', model: '', outcome: 'completed' })).toBe(5)
    for (const state of QUEUE_METRIC_STATES) expect(total(all, METRICS.queueJobs, { state }), state).toBe(state === 'held' ? 0 : counts[state])

    const db = new Sqlite(databaseFile(engine.dataDir), { readonly: true })
    try {
      const attempts = db.prepare(`SELECT outcome, ifnull(error_category, '') AS category, count(*) AS n FROM job_attempts GROUP BY 1, 2`).all() as {
        outcome: string
        category: string
        n: number
      }[]
      expect(attempts.length).toBeGreaterThan(1)
      for (const { outcome, category, n } of attempts) {
        expect(total(all, METRICS.attempts, { result: outcome, category: outcome === 'ok' ? NO_CATEGORY : category }), `${outcome} ${category}`).toBe(n)
      }
      expect(total(all, METRICS.attempts)).toBe(attempts.reduce((sum, row) => sum + row.n, 0))
      expect(total(all, `${METRICS.jobWait}_count`)).toBe(total(all, METRICS.attempts))
      // Attempt time, as the rollups and the GenOpsSlowJobs rule take it: every completed attempt, from claim to result.
      expect(total(all, `${METRICS.attemptDuration}_count`)).toBe(total(all, METRICS.attempts, { result: 'ok' }))
      const seconds = db.prepare(`SELECT sum(ended_at - started_at) / 1000.0 FROM job_attempts WHERE outcome = 'ok'`).pluck().get() as number
      expect(total(all, `${METRICS.attemptDuration}_sum`)).toBeCloseTo(seconds, 3)
      const tokens = db.prepare(`SELECT sum(input_tokens) AS input, sum(output_tokens) AS output FROM job_attempts`).get() as { input: number; output: number }
      expect(total(all, METRICS.tokens, { direction: 'input' })).toBe(tokens.input)
      expect(total(all, METRICS.tokens, { direction: 'output' })).toBe(tokens.output)
    } finally {
      db.close()
    }
    // Attempts are labelled with the model that ran: the profile's.
    expect(total(all, METRICS.attempts, { provider: 'keyed', model: 'sim-large', result: 'ok' })).toBe(5)
    expect(total(all, `${METRICS.timeToFirstToken}_count`)).toBe(total(all, METRICS.attempts, { result: 'ok' }))
    expect(total(all, METRICS.buildInfo, { version: '0.1.0' })).toBe(1)
    expect(total(all, METRICS.dbSize)).toBeGreaterThan(0)
    expect(total(all, METRICS.poolThreads)).toBe(1)
    expect(total(all, `${METRICS.dbTransactionDuration}_count`, { operation: 'settle' })).toBeGreaterThan(0)
  })

  it('keeps labels bounded, and no API key anywhere in either format', async () => {
    const engine = await busyEngine()
    const text = await (await scrape(engine)).text()
    const openMetrics = await (await scrape(engine, { Accept: OPEN_METRICS })).text()
    for (const body of [text, openMetrics, await engine.metrics!.text()]) {
      expect(body).not.toContain(KEY)
      expect(body).not.toContain(KEY_IN_MESSAGE)
      expect(body).not.toContain('sk-planted')
    }
    const values = labelValues(parseSamples(text))
    // `to` appears only when the failing jobs happened to open a breaker: whether they do depends on the machine's timing.
    const labels = [...values.keys()].filter((label) => label !== 'to').sort()
    expect(labels).toEqual(['breaker', 'category', 'direction', 'engine', 'model', 'operation', 'outcome', 'provider', 'result', 'state', 'version'])
    // One engine, one value: its lease owner id (host:pid:random, and its pid namespace on Linux), never anything of the jobs.
    expect([...values.get('engine')!]).toEqual([expect.stringMatching(/^[^:]+:\d+:[0-9a-f]{8}(:\d+)?$/)])
    for (const to of values.get('to') ?? []) expect(['closed', 'open', 'half-open', 'isolated']).toContain(to)
    expect(values.get('provider')).toEqual(new Set(['sim', 'keyed']))
    expect(values.get('model')).toEqual(new Set(['', 'sim-large']))
    expect([...values.get('category')!].every((category) => category === NO_CATEGORY || category in ERROR_CATEGORIES)).toBe(true)
    for (const set of values.values()) for (const value of set) expect(value.length).toBeLessThanOrEqual(100)
  })

  it('serves OpenMetrics when the scraper asks, and the text format as before afterwards', async () => {
    const engine = await busyEngine()
    const open = await scrape(engine, { Accept: OPEN_METRICS })
    expect(open.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8')
    const openText = await open.text()
    expect(openText.endsWith('# EOF\n')).toBe(true)
    expect(openText).toContain('# TYPE genops_jobs_finished counter\n')
    expect(total(parseSamples(openText.replace('# EOF\n', '')), METRICS.jobsFinished)).toBe(23)

    // prom-client's OpenMetrics rendering renames counters in place: the next text-format scrape must not show it.
    const plain = await scrape(engine)
    expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const plainText = await plain.text()
    expect(plainText).toContain('# TYPE genops_jobs_finished_total counter\n')
    expect(plainText).toContain('# TYPE process_cpu_seconds_total counter\n')
    expect(total(parseSamples(plainText), METRICS.jobsFinished)).toBe(23)
  })

  it.skipIf(!PROMTOOL)('passes promtool check metrics (skipped when promtool is not installed: apt-get install prometheus)', async () => {
    const engine = await busyEngine()
    // Every family with samples, so the lint sees them all.
    await engine.call('openBreaker', { name: 'sim' })
    engine.metrics!.intake.fileRejected('too-large')
    engine.metrics!.setAlertsFiring([{ alertname: 'QueueStalled', severity: 'critical' }])
    const text = await (await scrape(engine)).text()
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(`${checked.stdout}${checked.stderr}`).toBe('')
    expect(checked.status).toBe(0)
  })

  it('shows held jobs apart from queued ones, and breaker states and transitions', async () => {
    const engine = await start()
    await engine.call('pauseProvider', { provider: 'sim' })
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 4 }, (_, i) => ({ prompt: `held ${i}` })) })
    let all = await samples(engine)
    expect(total(all, METRICS.queueJobs, { state: 'held' })).toBe(4)
    expect(total(all, METRICS.queueJobs, { state: 'queued' })).toBe(0)

    await engine.call('openBreaker', { name: 'other/model' })
    all = await samples(engine)
    expect(total(all, METRICS.breakerState, { breaker: 'other/model' })).toBe(2)
    expect(total(all, METRICS.breakerTransitions, { breaker: 'other/model', to: 'isolated' })).toBe(1)
    await engine.call('resetBreaker', { name: 'other/model' })
    all = await samples(engine)
    expect(total(all, METRICS.breakerState, { breaker: 'other/model' })).toBe(0)
    expect(total(all, METRICS.breakerTransitions, { breaker: 'other/model', to: 'closed' })).toBe(1)

    await engine.call('resumeProvider', { provider: 'sim' })
    await waitFor(
      () => finishedCount(engine),
      (n) => n === 4,
      { what: 'the held jobs to run' },
    )
    all = await samples(engine)
    expect(total(all, METRICS.queueJobs, { state: 'held' })).toBe(0)
    expect(total(all, METRICS.queueJobs, { state: 'completed' })).toBe(4)
  })

  it('counts rate-limit holds by provider and limit', async () => {
    const engine = await start()
    await engine.call('saveProvider', { name: 'slow', provider: 'sim', limits: { requestsPerMinute: 2 } })
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 5 }, (_, i) => ({ prompt: `limited ${i}`, provider: 'slow' })) })
    await waitFor(
      async () => total(await samples(engine), METRICS.rateLimitHolds, { provider: 'slow', limit: 'rpm' }),
      (n) => n > 0,
      { what: 'a hold for the per-minute limit' },
    )
    const all = await samples(engine)
    expect(total(all, METRICS.queueJobs, { state: 'held' })).toBe(3)
  })

  it('takes a bearer token when configured: /metrics and /health need it, the probes do not', async () => {
    const token = 'metrics-token-0123456789'
    const engine = await start({ metrics: { exporter: { enabled: true, port: 0, token } } })
    const { url } = engine.exporterAddress!
    const base = url.replace('/metrics', '')
    const unauthorized = await fetch(url)
    expect(unauthorized.status).toBe(401)
    expect(unauthorized.headers.get('www-authenticate')).toBe('Bearer')
    expect((await fetch(url, { headers: { Authorization: `Bearer ${'x'.repeat(token.length)}` } })).status).toBe(401)
    expect((await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200)
    expect((await fetch(`${base}/health`)).status).toBe(401)
    expect((await fetch(`${base}/health`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200)
    expect((await fetch(`${base}/health/live`)).status).toBe(200)
    expect((await fetch(`${base}/health/ready`)).status).toBe(200)
  })

  it('answers the health endpoints, refuses a foreign Host header, and reports itself as the exporter check', async () => {
    const engine = await start()
    const { url, port } = engine.exporterAddress!
    const base = url.replace('/metrics', '')
    expect(await (await fetch(`${base}/health/live`)).json()).toEqual({ status: 'live' })
    expect(await (await fetch(`${base}/health/ready`)).json()).toEqual({ status: 'ready' })
    const report = (await (await fetch(`${base}/health`)).json()) as { checks: { name: string; status: string; detail: string }[] }
    expect(report.checks.find((check) => check.name === 'exporter')).toMatchObject({ status: 'pass', detail: `listening on 127.0.0.1:${port}` })
    expect(await withHost(engine, '/metrics', 'evil.example')).toBe(403)
    expect(await withHost(engine, '/metrics', `localhost:${port}`)).toBe(200)
    expect((await fetch(`${base}/`)).status).toBe(404)
    expect((await fetch(url, { method: 'POST' })).status).toBe(405)
  })

  it('says a busy port is busy, fails its health check, and the engine runs on', async () => {
    const port = await busyPort()
    const logged = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const engine = await start({ metrics: { exporter: { enabled: true, port } } })
    const message = `the metrics exporter cannot listen on 127.0.0.1:${port}: the port is in use; set another port or turn the exporter off`
    expect(engine.exporterAddress).toBeNull()
    expect(logged.mock.calls.map(([line]) => String(line))).toContain(`genops: ${message}\n`)
    const report = await engine.call('healthReport', {})
    expect(report.checks.find((check) => check.name === 'exporter')).toMatchObject({ status: 'fail', critical: false, detail: message })
    expect(report.status).toBe('degraded')
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'still runs' }] })
    await waitFor(
      () => finishedCount(engine),
      (n) => n === 1,
      { what: 'the job to run' },
    )
  })

  it('refuses to listen beyond loopback without a token, naming the setting', async () => {
    await expect(createEngine({ dataDir: tempDir(), metrics: { exporter: { enabled: true, host: '0.0.0.0' } } })).rejects.toThrow(
      'createEngine: metrics.exporter.host: the exporter listens on 0.0.0.0, which is not loopback, only with a token: set metrics.exporter.token',
    )
    await expect(createEngine({ dataDir: tempDir(), metrics: { exporter: { port: 70_000 } } })).rejects.toThrow(
      'metrics.exporter.port must be an integer from 0 to 65535',
    )
  })

  it('opens no port unless asked, and serves no metrics when they are off', async () => {
    const quiet = await start({ metrics: {} })
    expect(quiet.exporterAddress).toBeNull()
    expect(quiet.metrics).not.toBeNull()
    const off = await start({ metrics: { enabled: false, exporter: { enabled: true, port: 0 } } })
    expect(off.metrics).toBeNull()
    expect((await scrape(off)).status).toBe(404)
    expect((await fetch(off.exporterAddress!.url.replace('/metrics', '/health/live'))).status).toBe(200)
  })

  it('keeps two engines in one process apart', async () => {
    const [one, two] = await Promise.all([start(), start()])
    await one!.call('enqueueJobs', { jobs: [{ prompt: 'one' }] })
    await two!.call('enqueueJobs', { jobs: [{ prompt: 'two a' }, { prompt: 'two b' }] })
    await waitFor(
      () => finishedCount(one!),
      (n) => n === 1,
      { what: "the first engine's job" },
    )
    await waitFor(
      () => finishedCount(two!),
      (n) => n === 2,
      { what: "the second engine's jobs" },
    )
    expect(total(await samples(one!), METRICS.jobsFinished)).toBe(1)
    expect(total(await samples(two!), METRICS.jobsFinished)).toBe(2)
    // The process's own metrics, collected once, show in both.
    expect(total(await samples(one!), 'process_cpu_seconds_total')).toBeGreaterThan(0)
    expect(total(await samples(two!), 'process_cpu_seconds_total')).toBeGreaterThan(0)
  })
})
