/**
 * The batch lane in the store: migration 0024 rebuilds jobs without losing a row or a
 * child row; the real-time claim never sees a batch-lane job, by its index rather than a
 * filter; a submitted job is neither claimed nor swept as a stall, and can be cancelled;
 * and intake refuses, by file and line, a batch-lane job its provider cannot take.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { loadMigrations, migrate } from '../../src/main/store/sqlite/db/migrate'
import { readPromptFiles } from '../../src/main/intake/read'
import { CLAIM } from '../../src/main/store/sqlite/queue/claim'
import { SqliteProviderBatchStore } from '../../src/main/store/sqlite/queue/provider-batches'
import type { ProviderProfile } from '../../src/shared/providers'
import { expectCountsAgree, job, T0, tempStore } from '../support/queue'
import { tempDir } from '../support/temp'

/** Batch-lane jobs enqueued and taken into one provider batch of `owner`'s, each line reserving `reservation` when given. */
function takenBatch(prompts: string[], owner = 'me', reservation?: { provider: string; providerKind: string; batchId: null; usd: number; tokens: number }) {
  const store = tempStore()
  const { jobIds } = store.enqueue(
    prompts.map((prompt) => job(prompt, { config: { lane: 'batch' } })),
    'taken',
    T0,
  ) as { jobIds: number[] }
  const batches = new SqliteProviderBatchStore(store.db)
  const lines = jobIds.map((jobId) => ({ jobId, customId: `job-${jobId}-1`, ...(reservation && { reservation }) }))
  const { id, taken } = batches.take({
    provider: 'openai',
    kind: 'openai',
    model: 'm',
    lines,
    bytes: 10,
    deadlineAt: null,
    owner,
    now: T0,
    leaseMs: 1000,
    firstPollAt: T0,
  })
  return { store, batches, jobIds, id: id!, taken }
}

const plan = (db: Sqlite.Database, text: string, params: unknown) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]).map((row) => row.detail).join('\n')

describe('migration 0024_batch_lane', () => {
  it('rebuilds jobs with every row and child row kept, the lane read from the config, and the triggers and counts in place', () => {
    const all = loadMigrations()
    const at = all.findIndex((m) => m.name === 'batch_lane')
    expect(all[at]!.version).toBe(24)
    const db = new Sqlite(':memory:')
    db.pragma('foreign_keys = ON')
    migrate(db, all.slice(0, at))
    db.prepare(`INSERT INTO batches (id, name, created_at) VALUES (1, 'old', 0)`).run()
    const insert = db.prepare(
      `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, batch_id, provider, prompt, config, max_attempts) VALUES (?, ?, 1, 0, 0, 0, 1, 'openai', 'p', ?, 3)`,
    )
    insert.run(1, 'completed', null)
    insert.run(2, 'queued', '{"lane":"batch"}')
    insert.run(3, 'queued', 'not json')
    db.prepare(`INSERT INTO job_events (job_id, at, from_state, to_state) VALUES (1, 1, 'queued', 'active')`).run()
    db.prepare(`INSERT INTO job_attempts (job_id, number, started_at, ended_at, outcome) VALUES (1, 1, 0, 1, 'ok')`).run()
    db.prepare(`INSERT INTO batch_counts (batch_id, state, n) VALUES (1, 'queued', 2), (1, 'completed', 1)`).run()

    migrate(db, all)
    expect(db.prepare('SELECT id, state, lane FROM jobs ORDER BY id').all()).toEqual([
      { id: 1, state: 'completed', lane: 'realtime' },
      { id: 2, state: 'queued', lane: 'batch' },
      { id: 3, state: 'queued', lane: 'realtime' },
    ])
    expect(db.prepare('SELECT count(*) AS n FROM job_events').get()).toEqual({ n: 1 })
    expect(db.prepare('SELECT count(*) AS n FROM job_attempts').get()).toEqual({ n: 1 })
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.prepare(`SELECT n FROM job_counts WHERE state = 'submitted'`).get()).toEqual({ n: 0 })
    // The triggers came back with the table: a state change still moves the batch's counts.
    db.prepare(`UPDATE jobs SET state = 'submitted' WHERE id = 2`).run()
    expect(db.prepare('SELECT state, n FROM batch_counts WHERE batch_id = 1 ORDER BY state').all()).toEqual([
      { state: 'completed', n: 1 },
      { state: 'queued', n: 1 },
      { state: 'submitted', n: 1 },
    ])
    // A child still cascades with its job.
    db.prepare('DELETE FROM jobs WHERE id = 1').run()
    expect(db.prepare('SELECT count(*) AS n FROM job_events').get()).toEqual({ n: 0 })
  })
})

describe('the batch lane in the queue', () => {
  it('keeps batch-lane jobs out of the real-time claim by its partial index, and gathers them by their own', () => {
    const store = tempStore()
    store.enqueue([job('batch', { priority: 0, config: { lane: 'batch' } }), job('realtime', { priority: 2 })], 'mixed', T0)
    const { jobs } = store.claim({ owner: 'me', limit: 10, now: T0, leaseMs: 1000 }) as { jobs: { prompt: string }[] }
    expect(jobs.map((claimed) => claimed.prompt)).toEqual(['realtime'])
    // The index itself leaves the batch lane out: the claim walks it, no filter over the rows it skips.
    const sqlOf = (name: string) => (store.db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').get(name) as { sql: string }).sql
    expect(sqlOf('jobs_ready')).toMatch(/WHERE state = 'queued' AND lane = 'realtime'$/)
    expect(plan(store.db, CLAIM, { owner: 'o', until: 0, now: 0, limit: 10 })).toMatch(/SCAN jobs USING INDEX jobs_ready\b/)
    const batches = new SqliteProviderBatchStore(store.db)
    expect(batches.dueJobs(T0, 10).map((due) => due.prompt)).toEqual(['batch'])
    expect(
      plan(
        store.db,
        `SELECT id FROM jobs INDEXED BY jobs_batch_lane WHERE state = 'queued' AND lane = 'batch' AND run_at <= @now ORDER BY run_at, id LIMIT 10`,
        { now: T0 },
      ),
    ).toMatch(/SEARCH jobs USING COVERING INDEX jobs_batch_lane \(run_at<\?\)/)
  })

  it('holds a submitted job by its provider batch: not claimed, not swept as a stall, counted, cancellable', () => {
    const { store, batches, jobIds, id, taken } = takenBatch(['a', 'b'])
    expect([...taken]).toEqual(jobIds)
    expect(store.stats(T0).counts).toMatchObject({ queued: 0, submitted: 2 })
    // A day later, with every lease long gone: nothing requeued, nothing claimed.
    expect(store.recoverStalled({ now: T0 + 86_400_000, maxStalled: 2 })).toEqual([])
    expect((store.claim({ owner: 'me', limit: 10, now: T0, leaseMs: 1000 }) as { jobs: unknown[] }).jobs).toEqual([])
    store.cancel(jobIds[0]!, T0 + 1)
    // The answer of the cancelled line, when it comes, changes nothing; the other one settles.
    const ok = (jobId: number) => ({ id: jobId, outcome: 'ok' as const, endedAt: T0 + 2, output: 'x', inputTokens: 1, outputTokens: 1 })
    expect(batches.settle(id, [ok(jobIds[0]!), ok(jobIds[1]!)], []).map((change) => [change.id, change.state])).toEqual([[jobIds[1], 'completed']])
    expectCountsAgree(store)
  })
})

describe('polls by lease', () => {
  it('never takes a batch another live engine is still uploading, however old its lease; takes it from a dead one', () => {
    const { batches, id } = takenBatch(['a'], 'uploader')
    // An hour later its lease is long gone, but the uploader lives: the upload may still be under way.
    const later = T0 + 3_600_000
    expect(batches.leaseDue('other', later, 1000, () => false)).toEqual([])
    // Gone, its batch is the other engine's to clear up.
    expect(batches.leaseDue('other', later, 1000, (owner) => owner === 'uploader').map((batch) => [batch.id, batch.state])).toEqual([[id, 'preparing']])
  })
})

describe('the lane a job takes', () => {
  it("is its own choice, else its profile's default", () => {
    const store = tempStore()
    store.saveProfile({ name: 'overnight', provider: 'openai', model: 'gpt-4o', config: { lane: 'batch' } }, T0)
    store.enqueue(
      [
        job('profile default', { provider: 'overnight' }),
        job('own choice', { provider: 'overnight', config: { lane: 'realtime' } }),
        job('no profile', { provider: 'openai' }),
      ],
      'lanes',
      T0,
    )
    expect(store.db.prepare('SELECT prompt, lane FROM jobs ORDER BY id').all()).toEqual([
      { prompt: 'profile default', lane: 'batch' },
      { prompt: 'own choice', lane: 'realtime' },
      { prompt: 'no profile', lane: 'realtime' },
    ])
  })

  it("reserves a whole upload's estimate when it is taken, and gives back what the provider never ran", () => {
    const reservation = { provider: 'openai', providerKind: 'openai', batchId: null, usd: 0.25, tokens: 1000 }
    const { store, batches, jobIds, id } = takenBatch(['a', 'b'], 'me', reservation)
    const reserved = () => store.db.prepare('SELECT job_id AS jobId, usd FROM budget_reservations ORDER BY job_id').all()
    expect(reserved()).toEqual(jobIds.map((jobId) => ({ jobId, usd: 0.25 })))
    batches.requeue(id, jobIds, T0 + 1, false, 'the batch expired')
    expect(reserved()).toEqual([])
    expect(store.db.prepare('SELECT state, attempts_made AS attempts, lane FROM jobs').all()).toEqual(
      Array(2).fill({ state: 'queued', attempts: 0, lane: 'batch' }),
    )
    expectCountsAgree(store)
  })
})

describe('intake of batch-lane jobs', () => {
  it('refuses, by file and line, a provider without a batch API and a setting the batch API does not take', async () => {
    const dir = tempDir()
    const file = join(dir, 'lanes.jsonl')
    writeFileSync(
      file,
      [
        { prompt: 'fine', provider: 'gateway', config: { lane: 'batch', deadlineMs: 7_200_000 } },
        { prompt: 'no batch API', provider: 'sim', config: { lane: 'batch' } },
        { prompt: 'streamed only', provider: 'gateway', config: { lane: 'batch', firstTokenTimeoutMs: 5000 } },
        { prompt: 'no such lane', provider: 'gateway', config: { lane: 'overnight' } },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    )
    const profiles = new Map<string, ProviderProfile>([['gateway', { name: 'gateway', provider: 'openai', model: 'gpt-4o' }]])
    const [parsed] = await readPromptFiles([file], { context: { profiles, defaults: {} } })
    expect(parsed!.ok).toBe(false)
    expect(parsed!.ok ? [] : parsed!.errors).toEqual([
      'lanes.jsonl:2: config.lane: provider sim has no batch API; the batch lane is for openai and anthropic',
      "lanes.jsonl:3: config.firstTokenTimeoutMs: the batch API does not take it (a batch line is not streamed and runs on the profile's endpoint)",
      'lanes.jsonl:4: config.lane: lane must be "realtime" or "batch"',
    ])
  })
})
