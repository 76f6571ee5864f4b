/**
 * The engine end to end: a real SQLite file, the real piscina pool running the worker
 * entry, and the CLI as a second process on the same data directory.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/contract'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { genops, ROOT } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(1000)))
})

async function start(dataDir = tempDir(), overrides: Partial<Parameters<typeof createEngine>[0]> = {}): Promise<Engine> {
  const engine = await createEngine({ dataDir, threads: 1, pollMs: 50, stallSweepMs: 100, backoff: { baseMs: 10, maxMs: 20 }, ...overrides })
  engines.push(engine)
  return engine
}

const stats = (engine: Engine) => engine.call('queueStats', {})
const settled = (engine: Engine, n: number) =>
  waitFor(
    () => stats(engine),
    (s) => s.counts.completed + s.counts.dead + s.counts.cancelled >= n,
    { what: `${n} finished jobs` },
  )

/** Reads the file as another process would, for what the engine wrote. */
function readBack(dataDir: string) {
  const db = new Sqlite(databaseFile(dataDir), { readonly: true })
  try {
    return {
      events: db.prepare(`SELECT from_state || '>' || to_state AS t, count(*) AS n FROM job_events GROUP BY t`).all() as { t: string; n: number }[],
      attempts: db.prepare('SELECT outcome, count(*) AS n FROM job_attempts GROUP BY outcome').all() as { outcome: string; n: number }[],
      completedTwice: db
        .prepare(`SELECT count(*) FROM (SELECT job_id FROM job_events WHERE to_state = 'completed' GROUP BY job_id HAVING count(*) > 1)`)
        .pluck()
        .get() as number,
    }
  } finally {
    db.close()
  }
}

describe('engine', () => {
  it('runs every job once through the pool, and its events and attempts agree with the counts', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    const seen: EngineEvent[] = []
    engine.subscribe((event) => seen.push(event))
    await engine.call('enqueueJobs', { jobs: Array.from({ length: 300 }, (_, i) => ({ prompt: `job ${i}` })) })
    const final = await settled(engine, 300)
    expect(final.counts).toEqual({ queued: 0, delayed: 0, submitted: 0, active: 0, completed: 300, dead: 0, cancelled: 0 })
    await engine.idle()
    expect(readBack(dataDir)).toEqual({
      events: [
        { t: 'active>completed', n: 300 },
        { t: 'queued>active', n: 300 },
      ],
      attempts: [{ outcome: 'ok', n: 300 }],
      completedTwice: 0,
    })
    const job = await engine.call('getJob', { id: 7 })
    expect(job.output).toMatch(/^[a-z ]+$/)
    expect(job.artifact).toBe(join(dataDir, 'artifacts', '1', '7.txt'))
    expect(readFileSync(job.artifact!, 'utf8')).toBe(job.output)
    await waitFor(
      () => seen.filter((e) => e.type === 'counts').at(-1),
      (e) => e?.type === 'counts' && e.data.counts.completed === 300,
      { what: 'a counts event' },
    )
    expect(seen.some((e) => e.type === 'jobs')).toBe(true)
  })

  it('retries a failing job with backoff until it succeeds, and kills one out of attempts', async () => {
    const engine = await start()
    // A profile removed after its jobs were queued: intake knew it, the worker no longer does.
    await engine.call('saveProvider', { name: 'gone-by-now', provider: 'sim' })
    await engine.call('enqueueJobs', {
      jobs: [
        { prompt: 'flaky', attempts: 3, config: { failAttempts: 2 } },
        { prompt: 'broken', attempts: 2, config: { failAttempts: 5, failCategory: 'RATE_LIMIT' } },
        { prompt: 'nowhere', provider: 'gone-by-now', delayMs: 300 },
      ],
    })
    await engine.call('removeProvider', { name: 'gone-by-now' })
    await settled(engine, 3)
    const [flaky, broken, nowhere] = await Promise.all([1, 2, 3].map((id) => engine.call('getJob', { id })))
    expect(flaky!.state).toBe('completed')
    expect(flaky!.attempts.map((a) => `${a.outcome}:${a.errorCategory}`)).toEqual(['error:SERVICE_UNAVAILABLE', 'error:SERVICE_UNAVAILABLE', 'ok:null'])
    expect(broken!.state).toBe('dead')
    expect(broken!.attempts).toHaveLength(2)
    expect(broken!.lastError).toMatch(/simulated RATE_LIMIT/)
    expect(nowhere!.state).toBe('dead')
    expect(nowhere!.attempts).toHaveLength(1)
    expect(nowhere!.lastError).toMatch(/unknown provider "gone-by-now"/)
  })

  it('cancels a running attempt: the provider call stops and no late result lands', async () => {
    const engine = await start()
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'slow', config: { latencyMs: 120_000 } }] })
    await waitFor(
      () => stats(engine),
      (s) => s.counts.active === 1,
      { what: 'the job to start' },
    )
    expect((await engine.call('cancelJob', { id: 1 })).state).toBe('cancelled')
    // idle() resolves only once the worker has returned: the two-minute call was aborted.
    await engine.idle()
    const job = await engine.call('getJob', { id: 1 })
    expect(job.state).toBe('cancelled')
    expect(job.attempts.map((a) => a.outcome)).toEqual(['cancelled'])
  })

  it('claims nothing while paused, and resumes', async () => {
    const engine = await start()
    await engine.call('pauseQueue', {})
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'a' }, { prompt: 'b' }] })
    // Proving that nothing happens takes time: give the scheduler several poll turns.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect((await stats(engine)).counts).toMatchObject({ queued: 2, active: 0, completed: 0 })
    expect((await engine.call('resumeQueue', {})).paused).toBe(false)
    await settled(engine, 2)
  })

  it('validates every input against the contract, with the field and the reason', async () => {
    const engine = await start()
    await expect(engine.call('enqueueJobs', { jobs: [{ prompt: '' }] })).rejects.toThrow(/enqueueJobs: jobs\.0\.prompt: prompt is empty/)
    await expect(engine.call('getJob', { id: 999 })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(engine.call('listJobs', { limit: 10_000 })).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('refuses options that make no sense, naming them', async () => {
    await expect(createEngine({ dataDir: tempDir(), threads: 0 })).rejects.toThrow('threads must be a positive integer')
    await expect(createEngine({ dataDir: '' })).rejects.toThrow('dataDir is required')
  })

  it('leaves attempts still running at close to stall recovery, which a new engine completes', async () => {
    const dataDir = tempDir()
    const first = await start(dataDir, { leaseMs: 300 })
    await first.call('enqueueJobs', { jobs: [{ prompt: 'long', config: { latencyMs: 1000 } }] })
    await waitFor(
      () => stats(first),
      (s) => s.counts.active === 1,
      { what: 'the job to start' },
    )
    await first.close(10)
    const second = await start(dataDir)
    await settled(second, 1)
    const job = await second.call('getJob', { id: 1 })
    expect(job.state).toBe('completed')
    expect(job.stalledCount).toBe(1)
    expect(job.attempts.map((a) => a.outcome)).toEqual(['stalled', 'ok'])
  })
})

describe('the CLI beside a running engine', () => {
  it('enqueues 2,000 jobs from another process; the engine notices and runs them all', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    const file = join(dataDir, 'prompts.jsonl')
    writeFileSync(file, Array.from({ length: 2000 }, (_, i) => JSON.stringify({ prompt: `prompt ${i}` })).join('\n'))
    const result = genops(['enqueue', file, '--data-dir', dataDir])
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/prompts\.jsonl: enqueued 2000 jobs as batch 1/)
    const final = await settled(engine, 2000)
    expect(final.counts.completed).toBe(2000)
    await engine.idle()
    expect(readBack(dataDir)).toEqual({
      events: [
        { t: 'active>completed', n: 2000 },
        { t: 'queued>active', n: 2000 },
      ],
      attempts: [{ outcome: 'ok', n: 2000 }],
      completedTwice: 0,
    })
    const listed = genops(['jobs', 'list', '--state', 'completed', '--limit', '3', '--json', '--data-dir', dataDir])
    expect(JSON.parse(listed.stdout).map((j: { id: number }) => j.id)).toEqual([2000, 1999, 1998])
  })

  it('cancels a running job from another process: the engine stops the attempt', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'slow', config: { latencyMs: 120_000 } }] })
    await waitFor(
      () => stats(engine),
      (s) => s.counts.active === 1,
      { what: 'the job to start' },
    )
    expect(genops(['jobs', 'cancel', '1', '--data-dir', dataDir]).stdout).toBe('job 1: cancelled\n')
    await engine.idle()
    expect((await engine.call('getJob', { id: 1 })).attempts.map((a) => a.outcome)).toEqual(['cancelled'])
  })

  it('pauses a running engine from another process', async () => {
    const dataDir = tempDir()
    const engine = await start(dataDir)
    genops(['queue', 'pause', '--data-dir', dataDir])
    await waitFor(
      () => stats(engine),
      (s) => s.paused,
      { what: 'the engine to see the pause' },
    )
    genops(['queue', 'resume', '--data-dir', dataDir])
    await waitFor(
      () => stats(engine),
      (s) => !s.paused,
      { what: 'the engine to see the resume' },
    )
  })

  it('reports a bad file as file:line: reason, exits 2 and enqueues nothing from it', () => {
    const dataDir = tempDir()
    const file = join(dataDir, 'bad.jsonl')
    writeFileSync(file, '{"prompt":"fine"}\n{"prompt": 42}\n')
    const result = genops(['enqueue', file, '--data-dir', dataDir])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('bad.jsonl:2: prompt: ')
    expect(JSON.parse(genops(['queue', 'stats', '--json', '--data-dir', dataDir]).stdout).counts.queued).toBe(0)
  })

  it('takes a local model path relative to where the command runs', () => {
    const dataDir = tempDir()
    const file = join(dataDir, 'one.txt')
    writeFileSync(file, 'Once upon a time')
    const enqueued = genops(['enqueue', file, '--provider', 'local', '--model', 'models/tiny.gguf', '--json', '--data-dir', dataDir])
    const [{ jobIds }] = JSON.parse(enqueued.stdout) as [{ jobIds: number[] }]
    const view = JSON.parse(genops(['jobs', 'view', String(jobIds[0]), '--json', '--data-dir', dataDir]).stdout) as { model: string }
    expect(view.model).toBe(join(ROOT, 'models/tiny.gguf'))
  })

  it('runs the queue with no UI until it is empty', () => {
    const dataDir = tempDir()
    const file = join(dataDir, 'one.txt')
    writeFileSync(file, 'Say hello.\r\n')
    expect(genops(['enqueue', file, '--priority', 'high', '--delay', '100ms', '--data-dir', dataDir]).status).toBe(0)
    const run = genops(['run', '--until-empty', '--data-dir', dataDir])
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('queue empty: 1 completed, 0 dead, 0 cancelled')
    const view = genops(['jobs', 'view', '1', '--data-dir', dataDir])
    expect(view.stdout).toContain('job 1: completed')
    expect(view.stdout).toContain('priority   high')
  })
})
