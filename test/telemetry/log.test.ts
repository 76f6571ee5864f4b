/**
 * The engine's log: JSON lines with the job id and trace id, rolled by size and kept to a
 * bound, and no API key in any line, however it reached the log (or a span).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { testKeychain } from '../support/keychain'
import type { QueueStore } from '../../src/main/queue/store'
import { createLogger, logsDir, openLog } from '../../src/main/telemetry/log'
import { openLogsAndTraces } from '../../src/main/telemetry/logs-and-traces'
import { DEFAULT_TRACES } from '../../src/main/telemetry/traces'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

let engine: Engine | undefined
let fake: FakeOpenAI | undefined
afterEach(async () => {
  await engine?.close(1000)
  await fake?.close()
  engine = fake = undefined
  vi.restoreAllMocks()
})

/** Every line of every log file, oldest file first, each parsed (a line that is not JSON fails the test). */
function logLines(dataDir: string): Record<string, unknown>[] {
  const dir = logsDir(dataDir)
  const files = readdirSync(dir).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
  return files.flatMap((file) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>),
  )
}

const finished = (id: number) =>
  waitFor(
    () => engine!.call('getJob', { id }),
    (job) => job.state === 'completed' || job.state === 'dead',
    { what: `job ${id} to finish` },
  )

describe('the log', () => {
  it('is JSON lines, and each line about a job carries its job id and the trace id of its attempt', async () => {
    const dataDir = tempDir()
    engine = await createEngine({ dataDir, threads: 1, pollMs: 50, backoff: { baseMs: 10, maxMs: 20 }, logs: { level: 'debug' } })
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'flaky', attempts: 2, config: { failAttempts: 1 } }, { prompt: 'fine' }] })
    await finished(1)
    await finished(2)
    await engine.close(1000)
    engine = undefined

    const db = new Sqlite(databaseFile(dataDir), { readonly: true })
    const traces = db.prepare('SELECT job_id AS jobId, number AS attempt, trace_id AS traceId FROM job_attempts ORDER BY id').all()
    db.close()
    const lines = logLines(dataDir)
    const aboutJobs = lines.filter((line) => 'jobId' in line)
    expect(aboutJobs.map(({ jobId, attempt, traceId }) => ({ jobId, attempt, traceId }))).toEqual(expect.arrayContaining(traces))
    expect(aboutJobs).toHaveLength(3)
    for (const line of aboutJobs) expect(line.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(aboutJobs.find((line) => line.level === 'warn')).toMatchObject({
      jobId: 1,
      attempt: 1,
      category: 'SERVICE_UNAVAILABLE',
      msg: expect.stringMatching(/^attempt 1 of job 1 failed: SERVICE_UNAVAILABLE: simulated/) as unknown,
    })
    for (const line of lines) expect(line).toMatchObject({ level: expect.any(String) as unknown, time: expect.any(String) as unknown, pid: process.pid })
  })

  it('rolls by size and keeps at most the number of files it is given', async () => {
    const dataDir = tempDir()
    const log = await openLog(dataDir, { level: 'info', maxBytes: 2048, maxFiles: 3 })
    const filler = 'x'.repeat(100)
    for (let i = 0; i < 400; i++) {
      log.logger.info({ line: i, filler }, 'a line')
      // Written in bursts, as an engine writes them: pino-roll checks the size when the file's writes catch up.
      if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await log.close()
    const dir = logsDir(dataDir)
    const files = await waitFor(
      () => readdirSync(dir),
      (names) => names.length <= 3,
      { what: 'old files to be removed' },
    )
    const numbers = files.map((name) => Number(/^genops\.(\d+)\.log$/.exec(name)?.[1])).sort((a, b) => a - b)
    // Rolled many times over; the files kept are the newest, and the newest holds the last line.
    const newest = numbers.at(-1)!
    expect(newest).toBeGreaterThan(10)
    expect(numbers.length).toBeGreaterThanOrEqual(2)
    expect(numbers).toEqual(numbers.map((_, i) => newest - numbers.length + 1 + i))
    // A file may pass the size by what one write carried when it was checked: sonic-boom writes at most 16 KiB at once.
    for (const name of files) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(2048 + 16 * 1024)
    expect(logLines(dataDir).at(-1)).toMatchObject({ line: 399 })
  })

  it('outlives its folder removed under it: the failure told once, the lines dropped and counted, nothing thrown', async () => {
    // Found so: the roll into a removed folder left the file without a descriptor, and the retry's write threw from
    // its timer, an uncaught exception (a test's data directory removed while its engine still logged).
    const dataDir = tempDir()
    const told: unknown[] = []
    const log = await openLog(dataDir, { level: 'info', maxBytes: 4096, maxFiles: 3 }, { retryMs: 10, onWriteError: (error) => told.push(error) })
    rmSync(dataDir, { recursive: true, force: true })
    for (let i = 0; i < 200; i++) {
      log.logger.info({ line: i, filler: 'x'.repeat(100) }, 'a line')
      if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 2))
    }
    // Several retries come and go meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(told).toHaveLength(1)
    expect(log.droppedLines).toBeGreaterThan(100)
    await log.close()
  })
})

describe('a planted API key', () => {
  const KEY = 'sk-planted-0123456789abcdefABCDEF'

  it('appears in no log line, no stderr line and no stored span, though the provider echoes it', async () => {
    const stderr: string[] = []
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk))
      return true
    })
    fake = await startFakeOpenAI()
    const dataDir = tempDir()
    engine = await createEngine({ dataDir, threads: 1, pollMs: 50, secrets: testKeychain(), logs: { level: 'debug' } })
    await engine.call('saveProvider', { name: 'keyed', provider: 'openai', baseUrl: fake.url, model: 'gpt-test', apiKey: KEY })

    // A server error that quotes the request back, key and Authorization header included.
    fake.fault = { status: 500, body: { error: { message: `upstream refused: Authorization: Bearer ${KEY}; api_key=${KEY}; key ${KEY}` } } }
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'one', provider: 'keyed', attempts: 1 }] })
    expect((await finished(1)).state).toBe('dead')
    // A refused key, echoed whole: the provider is paused, and the operator told why.
    fake.fault = { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}.`, code: 'invalid_api_key' } } }
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'two', provider: 'keyed' }] })
    await waitFor(
      () => engine!.call('listProviderPauses', {}),
      ({ pauses }) => pauses.length === 1,
      { what: 'the provider to be paused' },
    )
    expect(fake.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`])
    const traces = await waitFor(
      async () => [await engine!.call('getTrace', { jobId: 1 }), await engine!.call('getTrace', { jobId: 2 })],
      ([one, two]) => one!.spans.length >= 3 && two!.spans.length >= 3,
      { what: 'the spans of both jobs' },
    )
    await engine.close(1000)
    engine = undefined

    const lines = logLines(dataDir)
    expect(lines.some((line) => line.level === 'warn' && line.jobId === 1)).toBe(true)
    expect(lines.some((line) => line.level === 'error' && String(line.msg).startsWith('provider keyed paused'))).toBe(true)
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(KEY.slice(3))
    expect(stderr.join('')).toContain('genops: provider keyed paused')
    expect(stderr.join('')).not.toContain(KEY.slice(3))
    expect(JSON.stringify(traces)).not.toContain(KEY.slice(3))
    const db = new Sqlite(databaseFile(dataDir), { readonly: true })
    const stored = db.prepare('SELECT name, status_message, attributes, events FROM spans').all()
    db.close()
    expect(stored.length).toBeGreaterThanOrEqual(6)
    expect(JSON.stringify(stored)).not.toContain(KEY.slice(3))
  })

  it('is masked in any field, message, error or header the logger is given', () => {
    const lines: string[] = []
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) }, { OPENAI_API_KEY: 'local-server-secret-value' })
    logger.warn({ apiKey: KEY, headers: { Authorization: `Bearer ${KEY}`, 'x-api-key': KEY }, config: { apiKey: 'anything' } }, 'calling')
    logger.info(`sending Authorization: Bearer ${KEY} to the provider`)
    logger.error(Object.assign(new Error(`refused ${KEY}`), { request: { body: `{"api_key":"${KEY}"}` } }))
    logger.info({ detail: { deeper: { note: `token=${KEY}`, list: [KEY] } } }, 'nested')
    logger.info('a local server that takes local-server-secret-value as its key')
    expect(lines).toHaveLength(5)
    for (const line of lines) {
      expect(() => JSON.parse(line) as unknown).not.toThrow()
      expect(line).not.toContain(KEY.slice(3))
      expect(line).not.toContain('local-server-secret-value')
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({
      apiKey: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' },
      config: { apiKey: '[REDACTED]' },
    })
    expect(JSON.parse(lines[2]!)).toMatchObject({ msg: 'refused [REDACTED]', err: { type: 'Error' } })
  })
})

describe('errors and notices', () => {
  it('go to the log and, as one short line, to stderr', async () => {
    const dataDir = tempDir()
    const stderr: string[] = []
    const telemetry = await openLogsAndTraces({} as QueueStore, {
      dataDir,
      logs: { level: 'info', maxBytes: 1 << 20, maxFiles: 2 },
      traces: { ...DEFAULT_TRACES, enabled: false },
      stderr: (line) => stderr.push(line),
    })
    telemetry.error(new Error('disk I/O error'), 'scheduler turn')
    telemetry.notice({ level: 'warning', message: 'breaker openai opened' })
    await telemetry.close()
    // Reporting after close reaches stderr only, and does not throw.
    telemetry.warn('the checkpoint thread stopped')
    expect(stderr).toEqual(['genops: scheduler turn failed: disk I/O error', 'genops: breaker openai opened', 'genops: the checkpoint thread stopped'])
    expect(logLines(dataDir).map(({ level, msg }) => ({ level, msg }))).toEqual([
      { level: 'error', msg: 'scheduler turn failed' },
      { level: 'warn', msg: 'breaker openai opened' },
    ])
    expect(existsSync(join(logsDir(dataDir), 'genops.1.log'))).toBe(true)
  })
})
