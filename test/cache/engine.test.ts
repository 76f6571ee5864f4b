/**
 * The response cache in a running engine: an identical request is answered from the store
 * with no provider call (artifact written, cost 0, `cached` on the attempt, the saved cost
 * counted), a changed one goes to the provider, and a job or the queue can opt out.
 */
import { readFileSync } from 'node:fs'
import Sqlite from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine, type EngineConfig } from '../../src/main/engine'
import { databaseFile } from '../../src/main/paths'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const engines: Engine[] = []
let fake: FakeOpenAI | undefined
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close(1000)))
  await fake?.close()
  fake = undefined
})

async function start(overrides: Partial<EngineConfig> = {}): Promise<Engine> {
  const engine = await createEngine({ dataDir: tempDir(), threads: 1, pollMs: 20, ...overrides })
  engines.push(engine)
  return engine
}

type JobInput = { prompt: string; provider?: string; model?: string; config?: Record<string, unknown> }

/** Enqueues the jobs and waits until every job in the queue is finished. */
async function run(engine: Engine, jobs: JobInput[]): Promise<number[]> {
  const { jobIds } = await engine.call('enqueueJobs', { jobs })
  await waitFor(
    () => engine.call('queueStats', {}),
    (stats) => stats.counts.queued + stats.counts.active === 0,
    { what: 'every job finished' },
  )
  await engine.idle()
  return jobIds
}

interface AttemptRow {
  job_id: number
  outcome: string
  cached: number
  cost_usd: number | null
  saved_usd: number | null
  input_tokens: number | null
}

function readBack(engine: Engine) {
  const db = new Sqlite(databaseFile(engine.dataDir), { readonly: true })
  try {
    // By job, not by when each settled: jobs of one claim settle in the order their attempts end.
    return {
      attempts: db.prepare('SELECT job_id, outcome, cached, cost_usd, saved_usd, input_tokens FROM job_attempts ORDER BY job_id, id').all() as AttemptRow[],
      jobs: db.prepare('SELECT id, state, output, artifact FROM jobs ORDER BY id').all() as {
        id: number
        state: string
        output: string
        artifact: string | null
      }[],
      entries: db.prepare('SELECT key, hits, saved_usd, source_job_id FROM response_cache').all() as {
        key: string
        hits: number
        saved_usd: number
        source_job_id: number
      }[],
    }
  } finally {
    db.close()
  }
}

describe('the response cache', () => {
  it('answers an identical request from the cache and sends a changed one to the provider (hit and miss)', async () => {
    const engine = await start()
    const [first] = await run(engine, [{ prompt: 'Name a river.', config: { temperature: 0.7, outputName: 'river' } }])
    const [again, changed, hotter] = await run(engine, [
      // outputName and timeoutMs decide where the answer goes and how long it may take, not what it is.
      { prompt: 'Name a river.', config: { temperature: 0.7, outputName: 'river-again', timeoutMs: 60_000 } },
      { prompt: 'Name a mountain.', config: { temperature: 0.7 } },
      { prompt: 'Name a river.', config: { temperature: 0.9 } },
    ])
    const { attempts, jobs, entries } = readBack(engine)
    const byJob = new Map(attempts.map((attempt) => [attempt.job_id, attempt]))
    expect(byJob.get(first!)).toMatchObject({ outcome: 'ok', cached: 0 })
    expect(byJob.get(again!)).toMatchObject({ outcome: 'ok', cached: 1, cost_usd: 0, saved_usd: 0, input_tokens: 0 })
    expect(byJob.get(changed!)).toMatchObject({ cached: 0 })
    expect(byJob.get(hotter!)).toMatchObject({ cached: 0 })
    const job = new Map(jobs.map((row) => [row.id, row]))
    expect(job.get(again!)!.state).toBe('completed')
    expect(job.get(again!)!.output).toBe(job.get(first!)!.output)
    // The hit's own artifact, under its own name, with the cached answer in it.
    const artifact = job.get(again!)!.artifact!
    expect(artifact).toMatch(/river-again\.txt$/)
    expect(readFileSync(artifact, 'utf8')).toBe(job.get(first!)!.output)
    expect(JSON.parse(readFileSync(artifact.replace(/\.txt$/, '.meta.json'), 'utf8'))).toMatchObject({ jobId: again, cached: true })
    expect(entries).toHaveLength(3)
    expect(entries.find((entry) => entry.source_job_id === first)).toMatchObject({ hits: 1 })
    expect(await engine.call('getJob', { id: again! })).toMatchObject({ state: 'completed', attempts: [{ outcome: 'ok', cached: true }] })
    expect((await engine.call('getJob', { id: first! }))!.attempts[0]!.cached).toBeUndefined()
  })

  it('leaves out a job that says cache: false, and the whole queue when the setting is off (a job may still opt in)', async () => {
    const engine = await start({ cache: { enabled: false } })
    await run(engine, [{ prompt: 'p' }])
    await run(engine, [{ prompt: 'p' }, { prompt: 'q', config: { cache: true } }])
    await run(engine, [{ prompt: 'q', config: { cache: true } }, { prompt: 'q' }, { prompt: 'q', config: { cache: false } }])
    const { attempts, entries } = readBack(engine)
    expect(attempts.map((attempt) => attempt.cached)).toEqual([0, 0, 0, 1, 0, 0])
    expect(entries).toHaveLength(1)
  })

  it('calls an OpenAI-compatible server once per changed prompt on a rerun, and counts what the hits saved', async () => {
    fake = await startFakeOpenAI()
    const engine = await start({ threads: 2 })
    const n = 30
    const jobs = (changed: number): JobInput[] =>
      Array.from({ length: n }, (_, i) => ({
        prompt: i < changed ? `Describe product ${i}, revised.` : `Describe product ${i}.`,
        provider: 'openai',
        model: 'gpt-4o-mini',
        config: { baseUrl: fake!.url, maxTokens: 50 },
      }))
    await run(engine, jobs(0))
    expect(fake.requests).toHaveLength(n)
    await run(engine, jobs(5))
    expect(fake.requests).toHaveLength(n + 5)

    const { attempts, entries } = readBack(engine)
    const rerun = attempts.slice(n)
    expect(rerun.filter((attempt) => attempt.cached === 1)).toHaveLength(n - 5)
    expect(rerun.filter((attempt) => attempt.cached === 1).every((attempt) => attempt.cost_usd === 0 && attempt.saved_usd! > 0)).toBe(true)
    expect(entries).toHaveLength(n + 5)
    const saved = rerun.reduce((sum, attempt) => sum + (attempt.saved_usd ?? 0), 0)
    const firstRunCost = attempts.slice(5, n).reduce((sum, attempt) => sum + (attempt.cost_usd ?? 0), 0)
    expect(saved).toBeCloseTo(firstRunCost, 12)
    const db = new Sqlite(databaseFile(engine.dataDir), { readonly: true })
    try {
      expect(db.prepare('SELECT entries, hits, saved_usd AS savedUsd FROM response_cache_totals').get()).toEqual({
        entries: n + 5,
        hits: n - 5,
        savedUsd: expect.closeTo(saved, 12),
      })
    } finally {
      db.close()
    }
  })
})
