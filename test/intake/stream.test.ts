/**
 * A large file loaded while the intake thread parses it (intake/stream.ts): the same rows,
 * counts and sources as the file read whole and then loaded; a problem found late in the
 * file removes what was already written; no claim or count sees the batch before it is
 * whole; `genops enqueue` killed at a random moment leaves the whole file or nothing. The
 * real thread, a real SQLite file.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createHandlers } from '../../src/main/operations'
import { JOBS_PER_MESSAGE } from '../../src/main/intake/limits'
import { readPromptFiles } from '../../src/main/intake/read'
import { sourcesOf } from '../../src/main/intake/sources'
import { loadPromptFile, type StreamProgress } from '../../src/main/intake/stream'
import type { ParsedFile } from '../../src/main/intake/problems'
import type { JobLoad } from '../../src/main/queue/store'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import type { JobDefaults } from '../../src/shared/jobs'
import { genopsAsync, genopsInBackground } from '../support/cli'
import { ownerIsGone } from '../../src/main/queue/lease-owner'
import { tempDir } from '../support/temp'

/** A .jsonl of every kind of line: vars, tags, priorities, a schema, keys (one of them twice), blank lines. */
function jsonl(lines: number, broken: (i: number) => string | null = () => null): string {
  return Array.from({ length: lines }, (_, i) => {
    const bad = broken(i)
    if (bad !== null) return bad
    if (i % 997 === 5) return ''
    return JSON.stringify({
      prompt: `Describe {{thing}} number ${i} in one paragraph.`,
      priority: (['high', 'normal', 'low'] as const)[i % 3],
      tags: ['bench', `t${i % 7}`],
      vars: { thing: `item ${i}` },
      ...(i % 4 === 0 ? { schema: { type: 'object' }, idempotency_key: `k${i % 4000}` } : {}),
    })
  }).join('\n')
}

const DEFAULTS: JobDefaults = { provider: 'sim', priority: 'normal' }

function fresh(): { store: SqliteQueueStore; dir: string } {
  const dir = tempDir()
  return { store: SqliteQueueStore.open(join(dir, 'genops.db')), dir }
}

/** Everything a reader goes by, ids aside. */
function contents(store: SqliteQueueStore) {
  const { db } = store
  return {
    jobs: db
      .prepare(
        'SELECT state, priority, provider, model, prompt, config, tags, idempotency_key, max_attempts, source_file, source_row, input, lane FROM jobs ORDER BY id',
      )
      .all(),
    batches: db.prepare('SELECT name, job_count, loading_owner FROM batches').all(),
    sources: db.prepare('SELECT file_index, name, format, jobs, columns FROM batch_sources').all(),
    jobCounts: db.prepare('SELECT state, n FROM job_counts WHERE n <> 0 ORDER BY state').all(),
    batchCounts: db.prepare('SELECT state, n FROM batch_counts ORDER BY state').all(),
    totals: db.prepare(`SELECT metric, provider, model, detail, n FROM metric_totals ORDER BY metric, provider, model, detail`).all(),
  }
}

/** The store's beginLoad, with every load it begins kept for a look. */
function watched(store: SqliteQueueStore, loads: JobLoad[]) {
  return {
    beginLoad: (...args: Parameters<SqliteQueueStore['beginLoad']>) => {
      const load = store.beginLoad(...args)
      loads.push(load)
      return load
    },
  }
}

describe('a large file loads while it is parsed', () => {
  it('writes the same jobs, sources and counts as the file read whole and then loaded', async () => {
    const dir = tempDir()
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, jsonl(12_000))
    const streamed = fresh()
    const loads: JobLoad[] = []
    const progress: StreamProgress[] = []
    const answer = await loadPromptFile(watched(streamed.store, loads), file, {
      defaults: DEFAULTS,
      profiles: new Map(),
      onProgress: (step) => progress.push(step),
    })
    expect(answer).toMatchObject({ ok: true, file: 'big.jsonl' })
    // It loaded a message at a time: progress came in steps, each line further, the last at the end of the file.
    expect(progress.length).toBeGreaterThan(5)
    expect(progress.map((step) => step.line)).toEqual([...progress.map((step) => step.line)].sort((a, b) => a - b))
    expect(progress.at(-1)).toEqual({ loaded: answer.ok ? answer.jobs : -1, file: 'big.jsonl', line: 12_000, lines: 12_000, last: true })
    expect(progress[0]!.loaded).toBe(JOBS_PER_MESSAGE)
    expect(loads).toHaveLength(1)

    // The other way: read whole, then the enqueue operation (what a drop and several files take).
    const whole = fresh()
    const [parsed] = (await readPromptFiles([file], { context: { profiles: new Map(), defaults: DEFAULTS } })) as [Extract<ParsedFile, { ok: true }>]
    const result = await createHandlers(whole.store).enqueueJobs({ jobs: parsed.jobs, defaults: DEFAULTS, batchName: 'big.jsonl', ...sourcesOf([parsed]) })
    const seen = contents(streamed.store)
    expect(seen).toEqual(contents(whole.store))
    expect(answer.ok && answer.enqueued.duplicates).toBe(result.duplicates)
    expect(result.duplicates).toBeGreaterThan(0)
    expect(seen.batches).toEqual([{ name: 'big.jsonl', job_count: parsed.jobs.length - result.duplicates, loading_owner: null }])
    streamed.store.close()
    whole.store.close()
  }, 60_000)

  it('removes what it wrote when the last line has a problem, and names the line', async () => {
    const dir = tempDir()
    const file = join(dir, 'late.jsonl')
    writeFileSync(
      file,
      jsonl(20_000, (i) => (i === 19_999 ? '{"prompt": 7}' : null)),
    )
    const { store } = fresh()
    const loads: JobLoad[] = []
    let mostWritten = 0
    const answer = await loadPromptFile(watched(store, loads), file, {
      defaults: DEFAULTS,
      profiles: new Map(),
      onProgress: () => (mostWritten = Math.max(mostWritten, store.db.prepare('SELECT count(*) FROM jobs').pluck().get() as number)),
    })
    expect(answer).toEqual({ ok: false, file: 'late.jsonl', errors: [expect.stringMatching(/^late\.jsonl:20000: /)], moreErrors: 0 })
    // Rows were written while the file was read, and none are left.
    expect(mostWritten).toBeGreaterThan(10_000)
    expect(contents(store)).toMatchObject({ jobs: [], batches: [], sources: [], jobCounts: [], batchCounts: [], totals: [] })
    store.close()
  }, 60_000)

  it('is seen by no claim and no count until the whole file is in', async () => {
    const dir = tempDir()
    const file = join(dir, 'hidden.jsonl')
    writeFileSync(file, jsonl(8_000))
    const { store } = fresh()
    const claimed: number[] = []
    const queued: number[] = []
    const answer = await loadPromptFile(store, file, {
      defaults: DEFAULTS,
      profiles: new Map(),
      onProgress: () => {
        const { jobs } = store.claim({ owner: 'test:1:a', limit: 50, now: Date.now() + 60_000, leaseMs: 60_000 }) as { jobs: unknown[] }
        claimed.push(jobs.length)
        queued.push(store.db.prepare(`SELECT n FROM job_counts WHERE state = 'queued'`).pluck().get() as number)
      },
    })
    expect(answer.ok).toBe(true)
    // Asked at every step but the last (after which the batch is made visible).
    expect(claimed.slice(0, -1).every((n) => n === 0)).toBe(true)
    expect(queued.slice(0, -1).every((n) => n === 0)).toBe(true)
    expect(claimed.length).toBeGreaterThan(3)
    const { jobs } = store.claim({ owner: 'test:1:a', limit: 50, now: Date.now() + 60_000, leaseMs: 60_000 }) as { jobs: unknown[] }
    expect(jobs).toHaveLength(50)
    store.close()
  }, 60_000)

  it('`genops enqueue` says how far a large file got and, for a file refused late, what is wrong, leaving nothing', async () => {
    const { store, dir } = fresh()
    const good = join(dir, 'good.jsonl')
    writeFileSync(good, jsonl(6_000))
    const ok = await genopsAsync(['enqueue', good, '--data-dir', dir, '--no-cache'])
    expect(ok.stdout).toMatch(/^good\.jsonl: enqueued \d+ jobs as batch 1 \(\d+ already known by idempotency key\)\n$/)
    expect(ok.stderr).toMatch(/good\.jsonl: loaded \d+ jobs, line 6000 of 6000 \(100%\)\n/)
    // --no-cache is the call's word over every line's.
    expect(store.db.prepare(`SELECT count(*) FROM jobs WHERE json_extract(config, '$.cache') = 0`).pluck().get()).toBe(
      store.db.prepare('SELECT count(*) FROM jobs').pluck().get(),
    )
    const bad = join(dir, 'bad.jsonl')
    writeFileSync(
      bad,
      jsonl(9_000, (i) => (i === 8_500 ? '{"prompt": "x", "provider": "nope"}' : null)),
    )
    const before = contents(store)
    const refused = await genopsAsync(['enqueue', bad, '--data-dir', dir])
    expect(refused.status).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toMatch(/^bad\.jsonl:8501: unknown provider or profile "nope"/m)
    expect(refused.stderr).toMatch(/^bad\.jsonl: nothing enqueued from this file$/m)
    expect(contents(store)).toEqual(before)
    store.close()
  }, 120_000)

  it('`genops enqueue` killed at a random moment leaves the whole file or nothing, each job once', async () => {
    const { store, dir } = fresh()
    const file = join(dir, 'kill.jsonl')
    const lines = 30_000
    writeFileSync(file, Array.from({ length: lines }, (_, i) => JSON.stringify({ prompt: `Say ${i}.`, idempotency_key: `k${i}` })).join('\n'))
    const outcomes: string[] = []
    for (let round = 0; round < 4; round++) {
      const child = genopsInBackground(['enqueue', file, '--data-dir', dir])
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      // Anywhere from the start (the thread not yet reading) to past the end (the batch made visible): a random
      // moment in each quarter of six seconds, so that early and late kills both come.
      await new Promise((resolve) => setTimeout(resolve, (round + Math.random()) * 1_500))
      child.kill('SIGKILL')
      const code = await exited
      // What any reader sees now: the file's jobs all once, or none of them.
      const visible = store.db
        .prepare('SELECT count(*) FROM jobs WHERE batch_id NOT IN (SELECT id FROM batches WHERE loading_owner IS NOT NULL)')
        .pluck()
        .get() as number
      const queued = store.db.prepare(`SELECT n FROM job_counts WHERE state = 'queued'`).pluck().get() as number
      expect([0, lines]).toContain(visible)
      expect(queued).toBe(visible)
      outcomes.push(code === 0 ? 'finished' : visible === lines ? 'killed after' : 'killed before')
      // The next start removes what a killed load left; the file enqueued again adds each key once.
      await store.removeAbandonedLoads(ownerIsGone)
      expect(store.db.prepare('SELECT count(*) FROM batches WHERE loading_owner IS NOT NULL').pluck().get()).toBe(0)
    }
    const again = await genopsAsync(['enqueue', file, '--data-dir', dir])
    expect(again.status).toBe(0)
    expect(store.db.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(lines)
    expect(store.db.prepare(`SELECT n FROM job_counts WHERE state = 'queued'`).pluck().get()).toBe(lines)
    expect(store.db.prepare('SELECT count(DISTINCT idempotency_key) FROM jobs').pluck().get()).toBe(lines)
    // Which moments the kills hit, for a reader of the log.
    console.log(`kills: ${outcomes.join(', ')}`)
    store.close()
  }, 120_000)
})
