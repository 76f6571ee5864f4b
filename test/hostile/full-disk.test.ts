/**
 * A full disk is a state, not a crash. A small tmpfs is the data directory and the test
 * fills it with a file of zeros: the engine pauses (claims nothing, keeps what finished),
 * health is unhealthy and says why, the engine keeps answering; once the file is deleted it
 * resumes by itself and every job ends completed, once. `serve` on a disk already full
 * starts, stays up and says why; `run` there ends with one line; the log drops lines
 * rather than end the process.
 *
 * Mounting needs root: elsewhere the suite is skipped with one line saying so, except in CI,
 * where it fails.
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import Sqlite from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { logsDir, openLog } from '../../src/main/telemetry/log'
import { genops, genopsInBackground } from '../support/cli'
import { cannotMount, fillDisk, smallDisk, unmountSmallDisks } from '../support/small-disk'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const whyNot = cannotMount()
if (whyNot && process.env.CI !== 'true') console.log(`full-disk tests skipped: they mount a small tmpfs, and here: ${whyNot}`)
afterAll(unmountSmallDisks)

/** Child processes (tsx), real disks and waits of up to a minute: more than the default 30 s on a busy machine. */
const SLOW = 120_000

/** Simulator jobs; `latencyMs` keeps a run going long enough for the disk to fill under it. */
const sim = (count: number, latencyMs = 20) => Array.from({ length: count }, (_, i) => ({ prompt: `job ${i}`, config: { latencyMs } }))

/** Every job completed, each exactly once, and the kept counters agree. */
function expectEveryJobCompletedOnce(dataDir: string, jobs: number): void {
  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  try {
    expect(db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all()).toEqual([{ state: 'completed', n: jobs }])
    expect(db.prepare(`SELECT count(*) FROM job_events WHERE to_state = 'completed'`).pluck().get()).toBe(jobs)
    expect(db.prepare(`SELECT count(DISTINCT job_id) FROM job_events WHERE to_state = 'completed'`).pluck().get()).toBe(jobs)
    expect(db.prepare(`SELECT count(*) FROM job_attempts WHERE outcome = 'ok'`).pluck().get()).toBe(jobs)
    expect(db.prepare(`SELECT state, n FROM job_counts WHERE n != 0`).all()).toEqual([{ state: 'completed', n: jobs }])
  } finally {
    db.close()
  }
}

/** Temporary artifact files left anywhere under `dir`. */
const leftoverTemporaries = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('.tmp-')) : []

let engine: Engine | undefined
const children: ChildProcess[] = []
afterEach(async () => {
  await engine?.close(1000)
  engine = undefined
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
})

describe.runIf(whyNot === null || process.env.CI === 'true')('a full disk', () => {
  it('can be made here: a tmpfs mounted by the test (CI runs this as root)', () => {
    expect(whyNot).toBeNull()
  })

  it(
    'pauses the engine, which says why and keeps answering, and resumes by itself with every job completed once',
    async () => {
      const JOBS = 300
      const dataDir = smallDisk('16m')
      engine = await createEngine({
        dataDir,
        threads: 1,
        concurrency: 8,
        pollMs: 50,
        // The usual 500 MiB floor would fail the `disk` check from the start: here `storage` alone must say it.
        health: { minFreeDiskBytes: 0 },
        // A line for every attempt, so the log meets the full disk too.
        logs: { level: 'debug' },
      })
      const db = new Sqlite(databaseFile(dataDir), { readonly: true })
      const claims = () => db.prepare(`SELECT count(*) FROM job_events WHERE to_state = 'active'`).pluck().get() as number
      const completed = () => db.prepare(`SELECT count(*) FROM jobs WHERE state = 'completed'`).pluck().get() as number
      // Read the moment each notice is made: between the two nothing may be claimed.
      const notices: { level: string; message: string; claims: number }[] = []
      engine.subscribe((event) => {
        if (event.type === 'notice' && /^the disk (is full|has room again)/.test(event.data.message)) notices.push({ ...event.data, claims: claims() })
      })
      try {
        // 300 jobs at 50 ms, 8 at a time: about two seconds, of which the disk is full for most.
        await engine.call('enqueueJobs', { jobs: sim(JOBS, 50) })
        await waitFor(completed, (n) => n >= 30, { what: '30 jobs to complete' })
        const filler = fillDisk(dataDir)

        const full = await waitFor(
          () => engine!.health.report(),
          (report) => report.checks.some((check) => check.name === 'storage' && check.status === 'fail'),
          { what: 'the storage check to fail' },
        )
        expect(full.status).toBe('unhealthy')
        const storage = full.checks.find((check) => check.name === 'storage')!
        expect(storage.critical).toBe(true)
        expect(storage.detail).toMatch(
          new RegExp(`^the disk is full: .+ failed \\((ENOSPC|SQLITE_FULL|SQLITE_IOERR\\w*)\\); [\\d.]+ (B|KiB) free for ${dataDir};`),
        )
        // The database check can no longer claim the database takes writes.
        expect(full.checks.find((check) => check.name === 'database')?.status).toBe('fail')
        // The engine answers while the disk is full.
        const stats = await engine.call('queueStats', {})
        expect(stats.counts.completed).toBeLessThan(JOBS)
        expect((await engine.call('listJobs', { limit: 5 })).jobs).toHaveLength(5)

        unlinkSync(filler)
        await waitFor(completed, (n) => n === JOBS, { timeoutMs: 60_000, what: 'every job to complete once space returned' })
        await engine.idle()
        const healthy = await engine.health.report()
        expect(healthy.checks.find((check) => check.name === 'storage')).toMatchObject({ status: 'pass' })

        // Said once each way, and nothing was claimed in between.
        expect(notices.map(({ level }) => level)).toEqual(['critical', 'info'])
        expect(notices[0]!.message).toMatch(/^the disk is full: .+; no job starts until space returns/)
        expect(notices[1]!.message).toMatch(/^the disk has room again \([\d.]+ MiB free for .+\): jobs start again$/)
        expect(notices[1]!.claims).toBe(notices[0]!.claims)
      } finally {
        db.close()
      }
      await engine.close(5000)
      engine = undefined
      expectEveryJobCompletedOnce(dataDir, JOBS)
      expect(leftoverTemporaries(join(dataDir, 'artifacts'))).toEqual([])
    },
    SLOW,
  )

  it(
    'lets `genops run --until-empty` wait out a disk that fills mid-run, saying so once, and finish',
    async () => {
      const JOBS = 300
      const dataDir = smallDisk('16m')
      const file = join(tempDir(), 'jobs.jsonl')
      // 128 at a time, a second each: the disk fills after the first wave, under the second.
      writeFileSync(
        file,
        sim(JOBS, 1000)
          .map((job) => JSON.stringify(job))
          .join('\n'),
      )
      expect(genops(['enqueue', file, '--data-dir', dataDir]).status).toBe(0)
      const child = genopsInBackground(['run', '--until-empty', '--no-metrics', '--data-dir', dataDir])
      children.push(child)
      const exited = once(child, 'exit')
      const stderr: string[] = []
      const waiting: { pattern: RegExp; resolve(): void }[] = []
      createInterface({ input: child.stderr! }).on('line', (line) => {
        stderr.push(line)
        for (const wait of waiting) if (wait.pattern.test(line)) wait.resolve()
      })
      const said = (pattern: RegExp) =>
        new Promise<void>((resolve, reject) => {
          waiting.push({ pattern, resolve })
          child.once('exit', (code) => reject(new Error(`genops run exited (${code}) before saying ${pattern}: ${stderr.join('\n')}`)))
        })
      const diskFull = said(/^genops: the disk is full: /)
      const roomAgain = said(/^genops: the disk has room again/)
      const db = new Sqlite(databaseFile(dataDir), { readonly: true, timeout: 5000 })
      try {
        await waitFor(
          () => db.prepare(`SELECT count(*) FROM jobs WHERE state = 'completed'`).pluck().get() as number,
          (n) => n >= 20,
          { timeoutMs: 60_000, what: 'the run to complete 20 jobs' },
        )
      } finally {
        db.close()
      }
      const filler = fillDisk(dataDir)
      await diskFull
      expect(child.exitCode).toBeNull()
      unlinkSync(filler)
      await roomAgain
      const [code] = (await exited) as [number | null]

      expect(stderr.filter((line) => line.includes('the disk is full'))).toHaveLength(1)
      expect(stderr.filter((line) => /^\s+at /.test(line))).toEqual([])
      expect(code).toBe(0)
      expectEveryJobCompletedOnce(dataDir, JOBS)
    },
    SLOW,
  )
})

describe.runIf(whyNot === null || process.env.CI === 'true')('a disk already full', () => {
  const TOKEN = 'full-disk-test-token-0123456789'

  /** Enqueues `jobs` on a fresh small disk, then fills it: even the database's WAL index cannot be made. */
  function fullDiskWithJobs(jobs: number): { dataDir: string; filler: string } {
    const dataDir = smallDisk('4m')
    const file = join(tempDir(), 'jobs.jsonl')
    writeFileSync(
      file,
      sim(jobs)
        .map((job) => JSON.stringify(job))
        .join('\n'),
    )
    expect(genops(['enqueue', file, '--data-dir', dataDir]).status).toBe(0)
    return { dataDir, filler: fillDisk(dataDir) }
  }

  it(
    '`genops serve` starts, says why on stderr and in health, answers, and starts the engine once there is room',
    async () => {
      const JOBS = 20
      const { dataDir, filler } = fullDiskWithJobs(JOBS)
      const child = genopsInBackground(['serve', '--port', '0', '--no-metrics', '--token', TOKEN, '--data-dir', dataDir])
      children.push(child)
      let stderr = ''
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      const base = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const url = /^GenOps listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(line)?.[1]
          if (url) resolve(url)
        })
        child.once('exit', (code) => reject(new Error(`genops serve exited (${code}): ${stderr}`)))
      })
      const api = (name: string) =>
        fetch(`${base}/api/${name}`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: '{}' })

      const health = await fetch(`${base}/health`)
      expect(health.status).toBe(503)
      const report = (await health.json()) as { status: string; checks: { name: string; status: string; detail: string }[] }
      expect(report.status).toBe('unhealthy')
      expect(report.checks.find((check) => check.name === 'storage')).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(
          new RegExp(`^the disk is full \\(0 B free for ${dataDir}\\): ${databaseFile(dataDir)} cannot be opened \\(SQLITE_\\w+\\)`),
        ),
      })
      expect((await fetch(`${base}/health/live`)).status).toBe(200)
      await waitFor(
        () => stderr,
        (text) => text.includes('waiting for room'),
        { what: 'serve to say on stderr why it waits' },
      )
      const refused = await api('queueStats')
      expect(refused.status).toBe(409)
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/^the disk is full/)
      expect(stderr).toMatch(
        /^genops: the disk is full \(0 B free for .+\): .+ cannot be opened \(SQLITE_\w+\); free some space; waiting for room to start the engine\n/,
      )
      expect(child.exitCode).toBeNull()

      unlinkSync(filler)
      const counts = await waitFor(
        async () => {
          const response = await api('queueStats')
          return response.ok ? ((await response.json()) as { counts: { completed: number } }).counts.completed : -1
        },
        (completed) => completed === JOBS,
        { timeoutMs: 60_000, what: 'the engine to start and complete every job' },
      )
      expect(counts).toBe(JOBS)
      expect(stderr).toContain('genops: the disk has room again: the engine started\n')
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      expect(((await exited) as [number | null])[0]).toBe(0)
      expectEveryJobCompletedOnce(dataDir, JOBS)
    },
    SLOW,
  )

  it(
    '`genops run` ends with one line saying the disk is full, not a stack',
    () => {
      const { dataDir } = fullDiskWithJobs(5)
      const result = genops(['run', '--until-empty', '--no-metrics', '--data-dir', dataDir])
      expect(result.status).toBe(1)
      expect(result.stderr).toMatch(
        new RegExp(`^genops: the disk is full \\(0 B free for ${dataDir}\\): ${databaseFile(dataDir)} cannot be opened \\(SQLITE_\\w+\\); free some space\\n$`),
      )
    },
    SLOW,
  )

  it(
    'any other command ends with one line too',
    () => {
      const { dataDir } = fullDiskWithJobs(5)
      const prompts = join(tempDir(), 'more.jsonl')
      writeFileSync(prompts, '{"prompt": "one more"}')
      for (const args of [
        ['enqueue', prompts],
        ['jobs', 'list'],
        ['queue', 'pause'],
      ]) {
        const result = genops([...args, '--data-dir', dataDir])
        expect(result.status, args.join(' ')).toBe(1)
        expect(result.stderr.split('\n').filter(Boolean), args.join(' ')).toEqual([expect.stringMatching(/^genops: .*(disk|space)/)])
      }
    },
    SLOW,
  )
})

describe.runIf(whyNot === null || process.env.CI === 'true')('the log on a full disk', () => {
  it('drops and counts lines instead of ending the process, and takes them again once there is room', async () => {
    const dataDir = smallDisk('1m')
    const errors: unknown[] = []
    const log = await openLog(dataDir, { level: 'info', maxBytes: 1024 * 1024, maxFiles: 2 }, { onWriteError: (error) => errors.push(error), retryMs: 20 })
    const filler = fillDisk(dataDir)
    log.logger.info('the first line, which the disk refuses')
    await waitFor(
      () => errors.length,
      (n) => n > 0,
      { what: 'the log to report the refused write' },
    )
    for (let i = 0; i < 50; i += 1) log.logger.info(`dropped line ${i}`)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'ENOSPC' })
    expect(log.droppedLines).toBe(50)

    unlinkSync(filler)
    const file = () => join(logsDir(dataDir), readdirSync(logsDir(dataDir))[0]!)
    const lines = await waitFor(
      () => readFileSync(file(), 'utf8').split('\n').filter(Boolean),
      (written) => written.length >= 2,
      { what: 'the log to take lines again' },
    )
    log.logger.info('a line after the disk had room')
    await log.close()
    const messages = readFileSync(file(), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg)
    expect(lines.length).toBeGreaterThanOrEqual(2)
    expect(messages).toEqual([
      'the first line, which the disk refuses',
      '50 log lines were dropped: the log file could not be written',
      'a line after the disk had room',
    ])
  })
})
