/**
 * The series and reports answer in milliseconds with a million jobs because they read a
 * range of the rollups' primary key, never the jobs. Each case reads EXPLAIN QUERY PLAN of
 * the statement the code runs, on a file with rollups, depth samples and attempts in it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_SPENT } from '../../src/main/store/sqlite/costs/budgets'
import { BATCH_REPORT, REPORT_SQL, TAG_REPORT } from '../../src/main/store/sqlite/costs/report'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { DEPTH_SQL, FILTERED_SERIES_SQL, SERIES_SQL } from '../../src/main/store/sqlite/telemetry/rollups-read'
import { job, T0 } from '../support/queue'

let store: SqliteQueueStore
const dir = mkdtempSync(join(tmpdir(), 'genops-cost-plans-'))
afterAll(() => {
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

beforeAll(() => {
  store = SqliteQueueStore.open(join(dir, 'genops.db'))
  const providers = ['sim', 'openai', 'anthropic']
  store.enqueue(
    Array.from({ length: 600 }, (_, i) => job(`p${i}`, { provider: providers[i % 3]!, tags: [`t${i % 4}`] })),
    'b',
    T0,
  )
  for (let turn = 0; turn < 6; turn++) {
    const at = T0 + turn * 60_000
    const { jobs } = store.claim({ owner: 'o', limit: 100, now: at, leaseMs: 1000 })
    store.settle(
      jobs.map((j) => ({
        id: j.id,
        outcome: 'ok' as const,
        endedAt: at + (j.id % 50) * 1000,
        output: 'x',
        inputTokens: 10,
        outputTokens: 5,
        cost: { providerKind: j.provider, model: `m${j.id % 5}`, usd: 0.001 },
      })),
      'o',
    )
    store.costs.sampleDepth(store.stats(at), at)
  }
  store.db.exec('ANALYZE')
})

function plan(text: string, params: unknown): string {
  const rows = store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]
  return rows.map((r) => r.detail).join('\n')
}

const RANGE = /SEARCH usage_rollups USING PRIMARY KEY \(resolution=\? AND bucket>\? AND bucket<\?\)/
const range = { width: 1000, first: T0, until: T0 + 3_600_000 }

describe('query plans of costs and series', () => {
  it('every series is one range of a primary key, read (or grouped) in key order without sorting', () => {
    for (const text of Object.values(SERIES_SQL)) {
      const found = plan(text, range)
      expect(found).toMatch(RANGE)
      expect(found).not.toMatch(/TEMP B-TREE/)
    }
    for (const text of Object.values(FILTERED_SERIES_SQL)) {
      const found = plan(text, { ...range, provider: 'sim', model: null })
      expect(found).toMatch(RANGE)
      expect(found).not.toMatch(/TEMP B-TREE/)
    }
    const depth = plan(DEPTH_SQL, range)
    expect(depth).toMatch(/SEARCH depth_samples USING PRIMARY KEY \(resolution=\? AND bucket>\? AND bucket<\?\)/)
    expect(depth).not.toMatch(/TEMP B-TREE/)
  })

  it('reports by provider, model and day read a range of the rollups, not the jobs', () => {
    for (const text of Object.values(REPORT_SQL)) {
      const found = plan(text, range)
      expect(found).toMatch(RANGE)
      expect(found).not.toMatch(/\bjobs\b|job_attempts/)
    }
  })

  it('today’s spend for a day budget is one bucket of the day rollup', () => {
    expect(plan(DAY_SPENT, [T0])).toMatch(/SEARCH usage_rollups USING PRIMARY KEY \(resolution=\? AND bucket=\? AND provider=\?\)/)
  })

  it('the report by tag reads a range of the tag rollups, never the attempts; the batch report searches batches by last settle', () => {
    const byTag = plan(TAG_REPORT, { width: 3_600_000, first: T0, until: T0 + 1 })
    expect(byTag).toMatch(/SEARCH tag_rollups USING PRIMARY KEY \(resolution=\? AND bucket>\? AND bucket<\?\)/)
    expect(byTag).not.toMatch(/\bjobs\b|job_attempts/)
    expect(plan(BATCH_REPORT, { since: T0, until: T0 + 1 })).toMatch(/SEARCH batches USING INDEX batches_by_settled \(settled_at>\?\)/)
  })

  it('pruning deletes a range of the primary key', () => {
    expect(plan('DELETE FROM usage_rollups WHERE resolution = ? AND bucket < ?', [1000, T0])).toMatch(
      /SEARCH usage_rollups USING PRIMARY KEY \(resolution=\? AND bucket<\?\)/,
    )
  })
})
