import { afterEach, describe, expect, test, vi } from 'vitest'
import type { EngineEvent, OperationInput } from '../../../shared/contract'
import { comparePositions, positionOf, type JobPage, type JobSort, type ListPosition } from '../../../shared/job-list'
import { JOB_STATES, type JobState, type JobSummary, type Priority, type QueueCounts } from '../../../shared/jobs'
import type { Client } from '../api'
import { createJobListStore, FIRST_PAGE, SEARCH_DEBOUNCE_MS } from './job-list'
import { mergeHead, placeRows, shownTotal } from './job-rows'

function job(id: number, state: JobState = 'queued', more: Partial<JobSummary> = {}): JobSummary {
  return {
    id,
    state,
    priority: 'normal',
    provider: 'sim',
    model: null,
    promptPreview: `prompt ${id}`,
    batchId: 1,
    attemptsMade: 0,
    maxAttempts: 3,
    createdAt: 1_700_000_000_000 + id,
    runAt: 1_700_000_000_000 + id,
    finishedAt: null,
    lastError: null,
    ...more,
  }
}

const counts = (jobs: JobSummary[]): QueueCounts =>
  Object.fromEntries(JOB_STATES.map((state) => [state, jobs.filter((j) => j.state === state).length])) as QueueCounts

/**
 * An engine in memory behind the Client interface, answering listJobs as the real one
 * does: filters, sorts, keyset positions, ids; `scan` makes it look at only so many jobs
 * a call, handing back where it stopped, as a search does.
 */
function fakeEngine(initial: JobSummary[], { scan = Infinity } = {}) {
  const engine = { jobs: initial }
  const listeners = new Set<(event: EngineEvent) => void>()
  const listJobs = vi.fn(async (input: OperationInput<'listJobs'>): Promise<JobPage> => {
    const sort: JobSort = input.sort ?? 'newest'
    const limit = input.limit ?? 100
    const matches = (j: JobSummary) =>
      (!input.state || j.state === input.state) &&
      (!input.provider || j.provider === input.provider) &&
      (!input.search || j.promptPreview.includes(input.search)) &&
      (!input.ids || input.ids.includes(j.id))
    const ordered = [...engine.jobs].sort((a, b) => comparePositions(sort, positionOf(sort, a), positionOf(sort, b)))
    const from = input.after ? ordered.filter((j) => comparePositions(sort, positionOf(sort, j), input.after!) > 0) : ordered
    const looked = input.ids ? from : from.slice(0, scan)
    const jobs: JobSummary[] = []
    let next: ListPosition | null = null
    for (const [i, j] of looked.entries()) {
      if (!matches(j)) continue
      jobs.push(j)
      if (jobs.length === limit) {
        next = i < from.length - 1 ? positionOf(sort, j) : null
        break
      }
    }
    if (jobs.length < limit && looked.length < from.length) next = positionOf(sort, looked.at(-1)!)
    const total = !input.after && !input.search && !input.ids ? engine.jobs.filter(matches).length : undefined
    return { jobs, next, ...(total === undefined ? {} : { total }) }
  })
  const client = {
    listJobs,
    jobFilterOptions: vi.fn(async () => ({ providers: [], batches: [], tags: [] })),
    onEvent(listener: (event: EngineEvent) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    onConnection(watcher: (connection: 'live') => void) {
      watcher('live')
      return () => {}
    },
  } as unknown as Client
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event))
  /** Moves a job in the engine and tells the store, as the engine's event hub would. */
  const change = (id: number, state: JobState, attemptsMade = 1) => {
    engine.jobs = engine.jobs.map((j) => (j.id === id ? { ...j, state, attemptsMade } : j))
    emit({ type: 'jobs', data: { changes: [{ id, state, attemptsMade }], truncated: false } })
  }
  const countsEvent = () => emit({ type: 'counts', data: { counts: counts(engine.jobs), paused: false } })
  return { engine, client, listJobs, emit, change, countsEvent }
}

async function started(initial: JobSummary[], options?: { scan?: number }) {
  const fake = fakeEngine(initial, options)
  const store = createJobListStore(fake.client)
  const stop = store.getState().start()
  await vi.waitFor(() => expect(store.getState().listState).toBe('ready'))
  // The first counts event reads the head once more; let it settle so tests count calls from here.
  const before = fake.listJobs.mock.calls.length
  fake.countsEvent()
  await vi.waitFor(() => expect(fake.listJobs.mock.settledResults.length).toBe(before + 1))
  fake.listJobs.mockClear()
  return { ...fake, store, stop }
}

const shown = (store: { getState(): { rows: JobSummary[] } }) => store.getState().rows.map((j) => `${j.id}:${j.state}`)
const many = (n: number, make: (id: number) => JobSummary = (id) => job(id)) => Array.from({ length: n }, (_, i) => make(i + 1))

afterEach(() => {
  vi.useRealTimers()
})

describe('job list store', () => {
  test('loads the newest page first, with the total', async () => {
    const { store, stop } = await started([job(1, 'completed'), job(2)])
    expect(shown(store)).toEqual(['2:queued', '1:completed'])
    expect(store.getState().total).toEqual({ count: 2, capped: false })
    expect(store.getState().next).toBeNull()
    stop()
  })

  test('pages in from where the list ends, until the engine has no more', async () => {
    const { store, listJobs, stop } = await started(many(FIRST_PAGE + 300))
    expect(store.getState().rows).toHaveLength(FIRST_PAGE)
    expect(store.getState().next).toEqual({ id: 301 })
    store.getState().loadMore()
    await vi.waitFor(() => expect(store.getState().rows).toHaveLength(FIRST_PAGE + 300))
    expect(listJobs).toHaveBeenLastCalledWith(expect.objectContaining({ after: { id: 301 }, limit: 500 }))
    expect(store.getState().rows.at(-1)!.id).toBe(1)
    expect(store.getState().next).toBeNull()
    stop()
  })

  test('a search that finds little keeps asking, and is ready once it has looked everywhere', async () => {
    const jobs = many(100, (id) => job(id, 'queued', { promptPreview: id % 30 === 0 ? `needle ${id}` : `hay ${id}` }))
    const { store, listJobs, stop } = await started(jobs, { scan: 10 })
    const states: string[] = []
    store.subscribe((state, before) => state.listState !== before.listState && states.push(`${state.listState}:${state.rows.length}`))
    store.getState().setSearchText('needle')
    await vi.waitFor(() => expect(store.getState().query.search).toBe('needle'))
    await vi.waitFor(() => expect(store.getState().listState).toBe('ready'))
    // Not ready with what the first calls found: only once every job was looked at.
    expect(states).toEqual(['loading:0', 'ready:3'])
    expect(shown(store)).toEqual(['90:queued', '60:queued', '30:queued'])
    // Ten jobs looked at per call, a hundred jobs: ten calls.
    expect(listJobs).toHaveBeenCalledTimes(10)
    stop()
  })

  test('waits for a pause in typing before it searches', async () => {
    const { store, listJobs, stop } = await started([job(1, 'queued', { promptPreview: 'hello' })])
    vi.useFakeTimers()
    store.getState().setSearchText('h')
    store.getState().setSearchText('he')
    store.getState().setSearchText('hel')
    expect(store.getState().searchText).toBe('hel')
    vi.advanceTimersByTime(SEARCH_DEBOUNCE_MS - 1)
    expect(listJobs).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(listJobs).toHaveBeenCalledTimes(1)
    expect(listJobs).toHaveBeenCalledWith(expect.objectContaining({ search: 'hel' }))
    stop()
  })

  test('keeps what was typed when another filter changes before the pause in typing', async () => {
    const { store, stop } = await started([job(1)])
    store.getState().setSearchText('poem')
    store.getState().setSort('oldest')
    expect(store.getState().query).toEqual({ sort: 'oldest', search: 'poem' })
    store.getState().setSearchText('')
    store.getState().setFilter('provider', 'sim')
    expect(store.getState().query).toEqual({ sort: 'oldest', provider: 'sim' })
    store.getState().setSearchText('left over')
    store.getState().clearFilters()
    expect(store.getState()).toMatchObject({ query: { sort: 'oldest' }, searchText: '' })
    stop()
  })

  test('updates rows in place on job events, without asking the engine', async () => {
    const { store, listJobs, change, stop } = await started([job(1), job(2)])
    change(1, 'active')
    expect(shown(store)).toEqual(['2:queued', '1:active'])
    expect(store.getState().rows[1]!.attemptsMade).toBe(1)
    expect(listJobs).not.toHaveBeenCalled()
    stop()
  })

  test('drops rows that leave the state filter, and places jobs that join it', async () => {
    const { store, change, stop } = await started([job(1, 'active'), job(2), job(3, 'active')])
    store.getState().setFilter('state', 'active')
    await vi.waitFor(() => expect(shown(store)).toEqual(['3:active', '1:active']))
    change(3, 'completed')
    expect(shown(store)).toEqual(['1:active'])
    change(2, 'active')
    await vi.waitFor(() => expect(shown(store)).toEqual(['2:active', '1:active']))
    stop()
  })

  test('reads a row again when it dies, for its error', async () => {
    const { store, engine, emit, listJobs, stop } = await started([job(1, 'active')])
    engine.jobs = [job(1, 'dead', { lastError: 'AUTH: bad key', attemptsMade: 3 })]
    emit({ type: 'jobs', data: { changes: [{ id: 1, state: 'dead', attemptsMade: 3 }], truncated: false } })
    await vi.waitFor(() => expect(store.getState().rows[0]!.lastError).toBe('AUTH: bad key'))
    expect(listJobs).toHaveBeenCalledWith(expect.objectContaining({ ids: [1] }))
    stop()
  })

  test('reads the head again when the counts say jobs came, keeping what is loaded beyond it', async () => {
    const { store, engine, countsEvent, stop } = await started(many(FIRST_PAGE + 100))
    store.getState().loadMore()
    await vi.waitFor(() => expect(store.getState().rows).toHaveLength(FIRST_PAGE + 100))
    engine.jobs = [...engine.jobs, job(FIRST_PAGE + 101), job(FIRST_PAGE + 102)]
    countsEvent()
    await vi.waitFor(() => expect(store.getState().rows).toHaveLength(FIRST_PAGE + 102))
    expect(
      store
        .getState()
        .rows.slice(0, 3)
        .map((j) => j.id),
    ).toEqual([FIRST_PAGE + 102, FIRST_PAGE + 101, FIRST_PAGE + 100])
    expect(store.getState().rows.at(-1)!.id).toBe(1)
    expect(new Set(store.getState().rows.map((j) => j.id)).size).toBe(FIRST_PAGE + 102)
    stop()
  })

  test('applies changes that arrive while a page is on its way', async () => {
    const { store, listJobs, countsEvent, engine, change, stop } = await started([job(1), job(2)])
    let answer: (page: JobPage) => void = () => {}
    listJobs.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)))
    engine.jobs = [...engine.jobs, job(3)]
    countsEvent()
    await vi.waitFor(() => expect(listJobs).toHaveBeenCalledTimes(1))
    // Job 2 finishes after the engine read the head, before the head arrives; no event will repeat it.
    change(2, 'completed')
    answer({ jobs: [job(3), job(2), job(1)], next: null, total: 3 })
    await vi.waitFor(() => expect(shown(store)).toEqual(['3:queued', '2:completed', '1:queued']))
    stop()
  })

  test('shows a delayed job as queued once it comes due, though no event says so', async () => {
    const { store, stop } = await started([job(1, 'delayed', { runAt: Date.now() + 100 }), job(2, 'delayed', { runAt: Date.now() + 3_600_000 })])
    await vi.waitFor(() => expect(shown(store)).toEqual(['2:delayed', '1:queued']), { timeout: 3000 })
    stop()
  })

  test('keeps progress for running rows only', async () => {
    const { store, emit, change, stop } = await started([job(1, 'active'), job(2)])
    emit({
      type: 'progress',
      data: {
        updates: [
          { id: 1, fraction: 0.5, outputTokens: 10, elapsedMs: 200 },
          { id: 99, fraction: 0.1, outputTokens: 1, elapsedMs: 5 },
        ],
      },
    })
    expect(Object.keys(store.getState().progress)).toEqual(['1'])
    change(1, 'completed')
    expect(store.getState().progress).toEqual({})
    stop()
  })

  test('drops an answer for a query the operator has moved on from', async () => {
    const { store, listJobs, stop } = await started([job(1, 'queued', { provider: 'openai' }), job(2)])
    let answer: (page: JobPage) => void = () => {}
    listJobs.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)))
    store.getState().setFilter('provider', 'sim')
    store.getState().setFilter('provider', 'openai')
    await vi.waitFor(() => expect(shown(store)).toEqual(['1:queued']))
    answer({ jobs: [job(2)], next: null })
    await Promise.resolve()
    expect(shown(store)).toEqual(['1:queued'])
    stop()
  })

  test('a new provider clears the model, which belonged to the old one', async () => {
    const { store, stop } = await started([job(1)])
    store.getState().setFilter('model', 'gpt-4o')
    store.getState().setFilter('provider', 'sim')
    expect(store.getState().query).toEqual({ sort: 'newest', provider: 'sim' })
    store.getState().clearFilters()
    expect(store.getState().query).toEqual({ sort: 'newest' })
    stop()
  })
})

describe('selection', () => {
  test('toggles, extends with shift from the last one clicked, and selects everything loaded', async () => {
    const { store, stop } = await started(many(6))
    const { toggle } = store.getState()
    toggle(6)
    toggle(3, true)
    expect([...store.getState().selected].sort()).toEqual([3, 4, 5, 6])
    toggle(4)
    expect(store.getState().selected.has(4)).toBe(false)
    // A shift range from a cleared row clears.
    toggle(6, true)
    expect([...store.getState().selected].sort()).toEqual([3])
    store.getState().toggleAll()
    expect(store.getState().selected.size).toBe(6)
    store.getState().toggleAll()
    expect(store.getState().selected.size).toBe(0)
    stop()
  })

  test('is cleared by a new query, and loses rows that leave the list', async () => {
    const { store, change, stop } = await started([job(1, 'active'), job(2, 'active')])
    store.getState().setFilter('state', 'active')
    await vi.waitFor(() => expect(store.getState().listState).toBe('ready'))
    store.getState().toggleAll()
    change(1, 'completed')
    expect([...store.getState().selected]).toEqual([2])
    store.getState().setSort('oldest')
    expect(store.getState().selected.size).toBe(0)
    stop()
  })
})

describe('list helpers', () => {
  const page = (jobs: JobSummary[], next: ListPosition | null): JobPage => ({ jobs, next })

  test('a fresh head replaces what it covers and keeps the rest', () => {
    const rows = [job(10), job(9), job(8), job(7), job(6)]
    // 9 left the filter; 11 is new; the head looked as far as 8.
    const merged = mergeHead(rows, { id: 6 }, page([job(11), job(10), job(8)], { id: 8 }), 'newest')
    expect(merged.rows.map((j) => j.id)).toEqual([11, 10, 8, 7, 6])
    expect(merged.next).toEqual({ id: 6 })
    // A head that reached further than the rows takes their place, and its end.
    expect(mergeHead([job(10)], { id: 10 }, page([job(10), job(5)], { id: 4 }), 'newest')).toEqual({ rows: [job(10), job(5)], next: { id: 4 } })
    expect(mergeHead(rows, null, page([job(3)], null), 'newest').rows).toEqual([job(3)])
    // A head that ends before the rows begin leaves a gap: the list starts again from it.
    expect(mergeHead([job(5), job(4)], null, page([job(11), job(10)], { id: 10 }), 'newest')).toEqual({ rows: [job(11), job(10)], next: { id: 10 } })
    expect(mergeHead([], null, page([job(11)], { id: 11 }), 'newest')).toEqual({ rows: [job(11)], next: { id: 11 } })
    // Oldest first, a list that had reached its end may have new jobs after its last row.
    expect(mergeHead([job(1), job(2), job(3)], null, page([job(1), job(2)], { id: 2 }), 'oldest')).toEqual({ rows: [job(1), job(2), job(3)], next: { id: 3 } })
  })

  test('places rows in the sort’s order, replacing those it holds', () => {
    const p = (id: number, priority: Priority) => job(id, 'queued', { priority })
    const rows = [p(5, 'high'), p(9, 'normal'), p(2, 'normal')]
    expect(placeRows(rows, [p(7, 'normal'), p(1, 'high'), { ...p(9, 'normal'), state: 'active' }], 'priority').map((j) => `${j.id}:${j.state}`)).toEqual([
      '5:queued',
      '1:queued',
      '9:active',
      '7:queued',
      '2:queued',
    ])
  })

  test('the total comes from the counts unless other filters are set', () => {
    const c = { ...counts([]), dead: 4, completed: 6 }
    const base = { rows: [job(1)], next: { id: 1 }, total: { count: 10_000, capped: true } }
    expect(shownTotal({ ...base, query: { sort: 'newest' } }, c)).toEqual({ count: 10, capped: false })
    expect(shownTotal({ ...base, query: { sort: 'newest', state: 'dead' } }, c)).toEqual({ count: 4, capped: false })
    expect(shownTotal({ ...base, query: { sort: 'newest', tag: 'x' } }, c)).toEqual({ count: 10_000, capped: true })
    expect(shownTotal({ ...base, next: null, query: { sort: 'newest', tag: 'x' } }, c)).toEqual({ count: 1, capped: false })
  })
})
