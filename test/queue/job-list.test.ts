/**
 * The jobs screen's list over a real SQLite file: every filter, sort and page size gives
 * exactly the jobs a plain reading of the table says, in order, once each, whether a call
 * answers from one index or window by window (tuned small here to hand over many times).
 * Also the filter choices, the bulk actions and the plans of the queries the list runs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { comparePositions, positionOf, type JobSort, type ListPosition } from '../../src/shared/job-list'
import { PRIORITY_BY_RANK, type JobState, type StoredState } from '../../src/shared/jobs'
import { createHandlers, type Runtime } from '../../src/main/operations'
import { fullPage } from '../../src/main/queue/job-operations'
import { FIRST_PROVIDER, listJobs, listSource, NEXT_MODEL, pageQuery, type ListTuning } from '../../src/main/store/sqlite/queue/list'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import type { ListOptions } from '../../src/main/queue/store'
import { expectCountsAgree, job, T0 } from '../support/queue'

const NOW = T0 + 10_000
const OWNER = 'test-host:1:owner'
let store: SqliteQueueStore
const dir = mkdtempSync(join(tmpdir(), 'genops-list-'))

const WORDS = ['weather widget', 'pricing table', 'login form', 'a 50% discount', 'under_score', 'back\\slash']
const PROVIDERS: [string, string | null][] = [
  ['sim', null],
  ['sim', 'sim-large'],
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4o'],
  ['anthropic', 'claude'],
]

beforeAll(() => {
  store = SqliteQueueStore.open(join(dir, 'genops.db'))
  for (let b = 0; b < 3; b++) {
    store.enqueue(
      Array.from({ length: 100 }, (_, k) => {
        const i = b * 100 + k
        const [provider, model] = PROVIDERS[i % PROVIDERS.length]!
        return job(`Job ${i}: make a ${WORDS[i % WORDS.length]}${i % 11 === 0 ? ' in WEATHER caps' : ''}`, {
          provider,
          model,
          priority: (i * 7) % 3,
          runAt: i % 13 === 0 ? NOW + 60_000 : T0,
          tags: i % 4 === 0 ? null : [`t${i % 3}`, ...(i % 5 === 0 ? ['red'] : [])],
        })
      }),
      `batch ${b}`,
      T0,
    )
  }
  // Some finish, some die, some are cancelled, some run: every state is in the file.
  const { jobs } = store.claim({ owner: OWNER, limit: 90, now: NOW, leaseMs: 60_000 })
  store.settle(
    jobs.slice(0, 50).map((j) => ({ id: j.id, outcome: 'ok' as const, endedAt: NOW, output: 'x', inputTokens: 1, outputTokens: 1 })),
    OWNER,
  )
  store.settle(
    jobs
      .slice(50, 70)
      .map((j) => ({ id: j.id, outcome: 'error' as const, endedAt: NOW, category: 'AUTH', message: 'bad key', retryable: false, retryAt: NOW })),
    OWNER,
  )
  for (const id of [3, 17, 150, 299]) store.cancel(id, NOW)
  // A damaged tags column matches no tag and breaks nothing.
  store.db.prepare(`UPDATE jobs SET tags = '["red", oops' WHERE id = 298`).run()
})

afterAll(() => {
  expectCountsAgree(store)
  store.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Plain {
  id: number
  state: StoredState
  run_at: number
  priority: number
  provider: string
  model: string | null
  batch_id: number
  tags: string | null
  prompt: string
}

/** What the list must answer, read the plain way. */
function expected(options: Omit<ListOptions, 'limit'>): number[] {
  const rows = store.db.prepare('SELECT id, state, run_at, priority, provider, model, batch_id, tags, prompt FROM jobs').all() as Plain[]
  const shown = (row: Plain): JobState => (row.state === 'queued' && row.run_at > NOW ? 'delayed' : row.state)
  const tags = (row: Plain): string[] => {
    try {
      return JSON.parse(row.tags ?? '[]') as string[]
    } catch {
      return []
    }
  }
  const sort: JobSort = options.sort ?? 'newest'
  return rows
    .filter(
      (row) =>
        (options.state === undefined || shown(row) === options.state) &&
        (options.provider === undefined || row.provider === options.provider) &&
        (options.model === undefined || row.model === options.model) &&
        (options.batchId === undefined || row.batch_id === options.batchId) &&
        (options.tag === undefined || tags(row).includes(options.tag)) &&
        (options.search === undefined || row.prompt.toLowerCase().includes(options.search.toLowerCase())),
    )
    .map((row) => ({ id: row.id, priority: PRIORITY_BY_RANK[row.priority]! }))
    .sort((a, b) => comparePositions(sort, positionOf(sort, a), positionOf(sort, b)))
    .map((row) => row.id)
}

/** Every page until `next` is null, as the screen asks for them. */
function everyPage(options: Omit<ListOptions, 'limit'>, limit: number, tuning?: ListTuning): { ids: number[]; calls: number } {
  const ids: number[] = []
  let after: ListPosition | undefined
  let calls = 0
  do {
    const page = listJobs(store.db, { ...options, after, limit }, NOW, tuning)
    expect(page.jobs.length).toBeLessThanOrEqual(limit)
    ids.push(...page.jobs.map((j) => j.id))
    after = page.next ?? undefined
    calls++
  } while (after && calls < 5000)
  return { ids, calls }
}

const FILTERS: Omit<ListOptions, 'limit' | 'sort'>[] = [
  {},
  { state: 'completed' },
  { state: 'queued' },
  { state: 'delayed' },
  { state: 'dead' },
  { batchId: 2 },
  { provider: 'openai' },
  { provider: 'openai', model: 'gpt-4o' },
  { model: 'sim-large' },
  { tag: 'red' },
  { tag: 't1', batchId: 3 },
  { search: 'weather' },
  { search: 'WEATHER' },
  { search: '50%' },
  { search: 'under_' },
  { search: 'back\\' },
  { search: 'nothing like this' },
  { state: 'completed', provider: 'sim', search: 'job' },
]
const SMALL: ListTuning = { window: 7, budgetMs: 0 }

describe('listJobs', () => {
  for (const sort of ['newest', 'oldest', 'priority'] as const) {
    it(`pages through every filter ${sort} first, exactly and once each`, () => {
      for (const filter of FILTERS) {
        const want = expected({ ...filter, sort })
        for (const [limit, tuning] of [
          [500, undefined],
          [7, undefined],
          [3, SMALL],
          [50, SMALL],
        ] as const) {
          const { ids } = everyPage({ ...filter, sort }, limit, tuning)
          expect(ids, `${JSON.stringify(filter)} limit ${limit}${tuning ? ' windowed' : ''}`).toEqual(want)
        }
      }
    })
  }

  it('answers a filter one index serves in one call, and hands over when it looks window by window', () => {
    expect(everyPage({ state: 'completed' }, 500, SMALL).calls).toBe(1)
    expect(everyPage({ provider: 'openai', model: 'gpt-4o' }, 500, SMALL).calls).toBe(1)
    // 300 ids in windows of 7, one window a call.
    expect(everyPage({ search: 'nothing like this' }, 500, SMALL).calls).toBeGreaterThan(40)
    expect(everyPage({ search: 'nothing like this' }, 500).calls).toBe(1)
  })

  it('counts what it cheaply can: by state from the kept counts, an indexed filter capped, a search only when its page holds all', () => {
    const stats = store.stats(NOW).counts
    expect(listJobs(store.db, { limit: 5 }, NOW).total).toBe(300)
    expect(listJobs(store.db, { state: 'delayed', limit: 5 }, NOW).total).toBe(stats.delayed)
    expect(listJobs(store.db, { batchId: 2, limit: 5 }, NOW)).toMatchObject({ total: 100 })
    expect(listJobs(store.db, { provider: 'openai', model: 'gpt-4o', limit: 5 }, NOW).total).toBe(expected({ provider: 'openai', model: 'gpt-4o' }).length)
    expect(listJobs(store.db, { search: 'weather', limit: 500 }, NOW).total).toBe(expected({ search: 'weather' }).length)
    expect(listJobs(store.db, { search: 'weather', limit: 5 }, NOW).total).toBeUndefined()
    // Later pages carry no count: the first one did.
    const first = listJobs(store.db, { limit: 5 }, NOW)
    expect(listJobs(store.db, { limit: 5, after: first.next! }, NOW).total).toBeUndefined()
  })

  it('refreshes known rows by id, keeping only those the filters still match', () => {
    const completed = expected({ state: 'completed' })
    const page = listJobs(store.db, { state: 'completed', ids: [completed[3]!, completed[1]!, 1, 2], limit: 500 }, NOW)
    expect(page.jobs.map((j) => j.id)).toEqual([completed[1], completed[3]])
    expect(page.next).toBeNull()
  })

  it('keeps paging by beforeId, newest first, for older clients', () => {
    expect(listJobs(store.db, { beforeId: 11, limit: 3 }, NOW).jobs.map((j) => j.id)).toEqual([10, 9, 8])
  })
})

describe('filter choices', () => {
  it('lists providers with their models, batches newest first, and tags of recent jobs', () => {
    const options = store.filterOptions()
    expect(options.providers).toEqual([
      { provider: 'anthropic', models: ['claude'], defaultModel: false },
      { provider: 'openai', models: ['gpt-4o', 'gpt-4o-mini'], defaultModel: false },
      { provider: 'sim', models: ['sim-large'], defaultModel: true },
    ])
    expect(options.batches.map((b) => [b.id, b.name, b.jobCount])).toEqual([
      [3, 'batch 2', 100],
      [2, 'batch 1', 100],
      [1, 'batch 0', 100],
    ])
    expect(options.tags).toEqual(['red', 't0', 't1', 't2'])
  })
})

describe('bulk actions', () => {
  function recorder() {
    const seen = { aborted: [] as number[], changed: [] as number[], kicks: 0 }
    const runtime: Runtime = {
      jobsChanged: (changes) => seen.changed.push(...changes.map((c) => c.id)),
      countsMayChange() {},
      abort: (id) => seen.aborted.push(id),
      paused() {},
      kick: () => seen.kicks++,
      profilesChanged: async () => {},
    }
    return { seen, handlers: createHandlers(store, runtime) }
  }

  it('cancels queued and running jobs, stops the running ones, and says why it left the rest', async () => {
    const { seen, handlers } = recorder()
    const active = store.db.prepare(`SELECT id FROM jobs WHERE state = 'active' ORDER BY id LIMIT 2`).pluck().all() as number[]
    const queued = store.db.prepare(`SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 3`).pluck().all() as number[]
    const completed = store.db.prepare(`SELECT id FROM jobs WHERE state = 'completed' LIMIT 1`).pluck().get() as number
    const result = await handlers.cancelJobs({ ids: [...active, ...queued, completed, queued[0]!, 9999] })
    expect(result.done).toEqual([...active, ...queued])
    expect(result.skipped).toEqual([
      { id: completed, reason: `job ${completed} is already completed: only queued, submitted and active jobs can be cancelled` },
      { id: 9999, reason: 'job 9999 does not exist' },
    ])
    expect(seen.aborted).toEqual(active)
    expect(seen.changed).toEqual([...active, ...queued])
    for (const id of [...active, ...queued]) expect(store.get(id, NOW)!.state).toBe('cancelled')
  })

  it('retries dead and cancelled jobs with fresh attempts, and skips the others', async () => {
    const { seen, handlers } = recorder()
    const dead = store.db.prepare(`SELECT id FROM jobs WHERE state = 'dead' ORDER BY id LIMIT 2`).pluck().all() as number[]
    const queued = store.db.prepare(`SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1`).pluck().get() as number
    const result = await handlers.retryJobs({ ids: [...dead, 3, queued] })
    expect(result.done).toEqual([...dead, 3])
    expect(result.skipped).toEqual([{ id: queued, reason: `job ${queued} is queued: only dead or cancelled jobs can be retried here` }])
    expect(seen.kicks).toBe(1)
    for (const id of result.done) expect(store.get(id, NOW + 1)).toMatchObject({ state: 'queued', attemptsMade: 0 })
  })

  it('takes a thousand jobs in slices, and refuses more in one call', async () => {
    const { handlers } = recorder()
    const { jobIds } = store.enqueue(
      Array.from({ length: 1000 }, (_, i) => job(`bulk ${i}`)),
      'bulk',
      NOW,
    )
    const result = await handlers.cancelJobs({ ids: jobIds })
    expect(result.done).toHaveLength(1000)
    const { invoke } = await import('../../src/main/operations')
    await expect(invoke(handlers, 'cancelJobs', { ids: [...jobIds, 1] })).rejects.toThrow(/^cancelJobs: ids: Too big/)
  })
})

describe('a full page for callers that do not page on', () => {
  it('asks again while the engine hands back short pages with more to look through', async () => {
    // The store looking at seven ids a call, as it does with a big table and little time.
    const listJobsHandler = async (input: Parameters<typeof fullPage>[1]) => listJobs(store.db, input, NOW, SMALL)
    const page = await fullPage(listJobsHandler, { search: 'weather', limit: 10 })
    expect(page.jobs.map((j) => j.id)).toEqual(expected({ search: 'weather' }).slice(0, 10))
    const all = await fullPage(listJobsHandler, { search: 'nothing like this', limit: 10 })
    expect(all).toMatchObject({ jobs: [], next: null })
  })
})

function plan(text: string, params: unknown): string {
  return (store.db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(params) as { detail: string }[]).map((r) => r.detail).join('\n')
}

function pagePlan(options: Omit<ListOptions, 'limit'>, bounds: { from?: number; to?: number }, priority?: number): string {
  const source = listSource({ ...options, limit: 100 }, NOW, priority)
  return plan(pageQuery(source, true, bounds), { ...source.args, ...bounds, limit: 100 })
}

describe('list query plans', () => {
  it('a provider and model page searches jobs_by_model in id order', () => {
    const text = pagePlan({ provider: 'openai', model: 'gpt-4o' }, { from: 100 })
    expect(text).toMatch(/SEARCH jobs USING INDEX jobs_by_model \(provider=\? AND model=\? AND id<\?\)/)
    expect(text).not.toMatch(/TEMP B-TREE/)
  })

  it('a priority of the priority sort searches jobs_by_priority in id order', () => {
    const text = pagePlan({}, { from: 100 }, 0)
    expect(text).toMatch(/SEARCH jobs USING INDEX jobs_by_priority \(priority=\? AND id<\?\)/)
    expect(text).not.toMatch(/TEMP B-TREE/)
  })

  it('a search window reads a range of the primary key only', () => {
    const text = pagePlan({ search: 'x' }, { from: 100, to: 90 })
    expect(text).toMatch(/SEARCH jobs USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/)
    expect(text).not.toMatch(/TEMP B-TREE/)
  })

  it('a search window within a state reads that state’s range of its index', () => {
    const text = pagePlan({ state: 'completed', search: 'x' }, { from: 100, to: 90 })
    expect(text).toMatch(/SEARCH jobs USING INDEX jobs_by_state \(state=\? AND id>\? AND id<\?\)/)
    expect(text).not.toMatch(/TEMP B-TREE/)
  })

  it('the filter choices seek providers and models in jobs_by_model', () => {
    expect(plan(FIRST_PROVIDER, [''])).toMatch(/SEARCH jobs USING COVERING INDEX jobs_by_model \(provider>\?\)/)
    expect(plan(NEXT_MODEL, ['sim', ''])).toMatch(/SEARCH jobs USING COVERING INDEX jobs_by_model \(provider=\? AND model>\?\)/)
  })
})

describe('the model a job runs', () => {
  it("names a profile's model for a job that names none, and leaves a job's own model and a provider kind alone", async () => {
    const own = SqliteQueueStore.open(join(dir, 'models.db'))
    try {
      own.saveProfile({ name: 'work', provider: 'openai', model: 'gpt-4o-mini' }, T0)
      own.enqueue([job('mine', { provider: 'work', model: 'gpt-4o' }), job('profile', { provider: 'work' }), job('kind', { provider: 'sim' })], 'b', T0)
      const handlers = createHandlers(own)
      const { jobs } = await handlers.listJobs({ limit: 10 })
      expect(Object.fromEntries(jobs.map((j) => [j.promptPreview, [j.model, j.profileModel ?? null]]))).toEqual({
        mine: ['gpt-4o', null],
        profile: [null, 'gpt-4o-mini'],
        kind: [null, null],
      })
      expect((await handlers.getJob({ id: jobs.find((j) => j.promptPreview === 'profile')!.id })).profileModel).toBe('gpt-4o-mini')
    } finally {
      own.close()
    }
  })
})

describe('a small table under a spent time budget', () => {
  // Found so, in a CI run: a pause of the process (a busy machine) spent the list's 20 ms while it went from one priority to
  // the next over a 13-job table, and the page lost its total. A table within one window is read in one query a priority.
  it('still answers whole, with its total, in every sort', () => {
    const small = SqliteQueueStore.open(join(dir, 'small.db'))
    try {
      small.enqueue([job('a', { priority: 0 }), job('b', { priority: 1 }), job('c', { priority: 2 })], 'b', T0)
      const spent: ListTuning = { window: 10_000, budgetMs: -1 }
      for (const sort of ['newest', 'oldest', 'priority'] as const) {
        expect(listJobs(small.db, { provider: 'nobody', sort, limit: 2 }, T0, spent), sort).toMatchObject({ jobs: [], next: null, total: 0 })
        expect(listJobs(small.db, { provider: 'sim', sort, limit: 5 }, T0, spent), sort).toMatchObject({ next: null, total: 3 })
      }
    } finally {
      small.close()
    }
  })
})
