/**
 * The dead-letter queue's hot queries must use their indexes, as the queue's own do
 * (test/queue/query-plans.test.ts): with a million jobs in the file, a page of dead jobs of
 * one category must not walk every job. The file holds 3,000 jobs, a third of them dead.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEAD_BY_CATEGORY, DEAD_BY_PROVIDER, deadListQuery, sliceQuery } from '../../src/main/store/sqlite/queue/dead'
import { groupsQuery } from '../../src/main/store/sqlite/queue/failures'
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
    Array.from({ length: 3000 }, (_, i) => job(`p${i}`, { provider: i % 2 ? 'sim' : 'openai', maxAttempts: 1 })),
    'b',
    T0,
  )
  const { jobs } = store.claim({ owner: 'o', limit: 2000, now: T0, leaseMs: 1000 })
  store.settle(
    jobs.map((j, i) =>
      i % 2
        ? { id: j.id, outcome: 'ok' as const, endedAt: T0, output: 'x', inputTokens: null, outputTokens: null }
        : { id: j.id, outcome: 'error' as const, endedAt: T0, category: i % 4 ? 'TIMEOUT' : 'NETWORK', message: `m ${i}`, retryable: false, retryAt: T0 },
    ),
    'o',
  )
})

function plan(text: string, params: unknown): string {
  const rows = store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]
  return rows.map((r) => r.detail).join('\n')
}

describe('dead-letter query plans', () => {
  it('a page of dead jobs of a category searches the dead-by-category index, without sorting', () => {
    const { text, args } = deadListQuery({ category: 'TIMEOUT', beforeId: 1000, limit: 50 })
    expect(plan(text, args)).toMatch(/SEARCH jobs USING INDEX jobs_dead_by_category \(error_category=\? AND id<\?\)/)
    expect(plan(text, args)).not.toMatch(/TEMP B-TREE/)
    // Each listed job's last attempt (its severity, the model it ran): one search of the attempts-by-job index, never a scan.
    expect(plan(text, args)).toMatch(/SEARCH a USING (COVERING )?INDEX job_attempts_by_job \(job_id=\?\)/)
    expect(plan(text, args)).not.toMatch(/SCAN a\b/)
  })

  it('a category and a provider together still search by category', () => {
    const { text, args } = deadListQuery({ category: 'TIMEOUT', provider: 'sim', limit: 50 })
    expect(plan(text, args)).toMatch(/SEARCH jobs USING INDEX jobs_dead_by_category \(error_category=\?\)/)
  })

  it('a page of dead jobs of a provider searches the dead-by-provider index', () => {
    const { text, args } = deadListQuery({ provider: 'sim', limit: 50 })
    expect(plan(text, args)).toMatch(/SEARCH jobs USING INDEX jobs_dead_by_provider \(provider=\?\)/)
    expect(plan(text, args)).not.toMatch(/TEMP B-TREE/)
  })

  it('a page of a batch’s dead jobs searches the batch index, and all dead jobs the state index', () => {
    const batch = deadListQuery({ batchId: 1, limit: 50 })
    expect(plan(batch.text, batch.args)).toMatch(/SEARCH jobs USING INDEX jobs_by_batch \(batch_id=\?\)/)
    const all = deadListQuery({ limit: 50 })
    expect(plan(all.text, all.args)).toMatch(/SEARCH jobs USING INDEX jobs_by_state \(state=\?\)/)
    expect(plan(all.text, all.args)).not.toMatch(/TEMP B-TREE/)
  })

  it('retry and purge walk their slices through the same indexes, in id order', () => {
    const byCategory = sliceQuery({ where: { category: 'TIMEOUT' } }, 0)
    expect(plan(byCategory.text, byCategory.args)).toMatch(/SEARCH jobs USING COVERING INDEX jobs_dead_by_category \(error_category=\? AND id>\?\)/)
    expect(plan(byCategory.text, byCategory.args)).not.toMatch(/TEMP B-TREE/)
    const all = sliceQuery({ where: {} }, 0)
    expect(plan(all.text, all.args)).toMatch(/SEARCH jobs USING COVERING INDEX jobs_by_state \(state=\? AND id>\?\)/)
    const byId = sliceQuery({ ids: [1, 2, 3] }, 0)
    // One index search per id given, never a scan of the jobs.
    expect(plan(byId.text, byId.args)).toMatch(/SEARCH jobs USING .*\bid=\?/)
    expect(plan(byId.text, byId.args)).not.toMatch(/SCAN jobs/)
  })

  it('statistics by category and provider walk only the dead-only indexes', () => {
    expect(plan(DEAD_BY_CATEGORY, [])).toMatch(/^SCAN jobs USING COVERING INDEX jobs_dead_by_category$/)
    expect(plan(DEAD_BY_PROVIDER, [])).toMatch(/^SCAN jobs USING COVERING INDEX jobs_dead_by_provider$/)
  })

  it('failure groups are listed by the last-seen index', () => {
    const { text, args } = groupsQuery({ limit: 50 })
    expect(plan(text, args)).toMatch(/SCAN g USING INDEX failure_groups_by_last_seen/)
    expect(plan(text, args)).toMatch(/regression_cases_by_fingerprint/)
  })
})
