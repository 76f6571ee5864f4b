/**
 * The hot queries must use their indexes: with a million jobs in the file a scan turns a
 * 15,000 jobs/s drain into 800. Each case reads EXPLAIN QUERY PLAN for the statement the
 * store itself runs and names the index it must search. The file holds 2,000 jobs in
 * every state so the plans are the ones a busy queue gets.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLAIM, EXPIRED_LEASES } from '../../src/main/store/sqlite/queue/claim'
import { FINISHED_BEFORE } from '../../src/main/store/sqlite/queue/manage'
import { listSource, pageQuery } from '../../src/main/store/sqlite/queue/list'
import { DELAYED_COUNT } from '../../src/main/store/sqlite/queue/read'
import type { ListOptions } from '../../src/main/queue/store'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { job, T0 } from '../support/queue'

let store: SqliteQueueStore
const dir = mkdtempSync(join(tmpdir(), 'genops-plans-'))
afterAll(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

beforeAll(() => {
  store = SqliteQueueStore.open(join(dir, 'genops.db'))
  store.enqueue(
    Array.from({ length: 2000 }, (_, i) => job(`p${i}`, { runAt: T0 + (i % 3) * 1000 })),
    'b',
    T0,
  )
  const { jobs } = store.claim({ owner: 'o', limit: 600, now: T0 + 5000, leaseMs: 1000 })
  store.settle(
    jobs.slice(0, 300).map((j) => ({ id: j.id, outcome: 'ok' as const, endedAt: T0, output: 'x', inputTokens: null, outputTokens: null })),
    'o',
  )
})

/** The newest page the list runs for these filters, before `beforeId`. */
function listQuery({ beforeId, ...options }: ListOptions, now: number): { text: string; args: Record<string, unknown> } {
  const source = listSource(options, now)
  const bounds = beforeId === undefined ? {} : { from: beforeId }
  return { text: pageQuery(source, true, bounds), args: { ...source.args, ...bounds, limit: options.limit } }
}

function plan(text: string, params: unknown): string {
  const rows = store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]
  return rows.map((r) => r.detail).join('\n')
}

describe('query plans', () => {
  it('claim walks the partial ready index in priority order, without sorting', () => {
    const text = plan(CLAIM, { owner: 'o', until: 0, now: 0, limit: 10 })
    // Not covering since a loading batch's jobs are skipped: each candidate's batch_id is read from its row.
    expect(text).toMatch(/SCAN jobs USING INDEX jobs_ready/)
    expect(text).not.toMatch(/TEMP B-TREE/)
  })

  it('the delayed count searches the ready index by range within each priority', () => {
    const text = plan(DELAYED_COUNT, { now: 0 })
    expect(text).toMatch(/SEARCH jobs USING COVERING INDEX jobs_ready \(priority=\? AND run_at>\?\)/)
    // The batch lane's delayed retries: a range of its own index.
    expect(text).toMatch(/SEARCH jobs USING COVERING INDEX jobs_batch_lane \(run_at>\?\)/)
  })

  it('counts by state come from the maintained counters, not the jobs table', () => {
    expect(plan('SELECT state, n FROM job_counts', [])).toMatch(/^SCAN job_counts$/)
  })

  it('the newest page of a state searches the state index', () => {
    const { text, args } = listQuery({ state: 'completed', beforeId: 1000, limit: 100 }, 0)
    expect(plan(text, args)).toMatch(/SEARCH jobs USING INDEX jobs_by_state \(state=\? AND id<\?\)/)
    expect(plan(text, args)).not.toMatch(/TEMP B-TREE/)
  })

  it('the newest page of all jobs walks the primary key backwards', () => {
    const { text, args } = listQuery({ beforeId: 1000, limit: 100 }, 0)
    expect(plan(text, args)).toMatch(/SEARCH jobs USING INTEGER PRIMARY KEY \(rowid<\?\)/)
    expect(plan(text, args)).not.toMatch(/TEMP B-TREE/)
  })

  it('a batch page searches the batch index', () => {
    const { text, args } = listQuery({ batchId: 1, limit: 100 }, 0)
    expect(plan(text, args)).toMatch(/SEARCH jobs USING INDEX jobs_by_batch \(batch_id=\?\)/)
    expect(plan(text, args)).not.toMatch(/TEMP B-TREE/)
  })

  it('expired leases are looked for among the active jobs only', () => {
    expect(plan(EXPIRED_LEASES, [0, 10])).toMatch(/SEARCH jobs USING INDEX jobs_by_state \(state=\?\)/)
  })

  it('retention by age searches the finished index', () => {
    // Not covering: each row's provider batch is looked at, so a cancelled job whose line may yet be billed stays.
    expect(plan(`SELECT id FROM ${FINISHED_BEFORE}`, { state: 'completed', olderThan: 0 })).toMatch(
      /SEARCH jobs USING INDEX jobs_finished \(state=\? AND finished_at<\?\)/,
    )
  })

  it('idempotency keys are found through their unique index', () => {
    expect(plan('SELECT id FROM jobs WHERE idempotency_key = ?', ['k'])).toMatch(/jobs_idempotency/)
  })

  it('a job’s events and attempts are found by job', () => {
    expect(plan('SELECT * FROM job_events WHERE job_id = ? ORDER BY id', [1])).toMatch(/job_events_by_job/)
    expect(plan('SELECT * FROM job_attempts WHERE job_id = ? ORDER BY id', [1])).toMatch(/job_attempts_by_job/)
  })
})
