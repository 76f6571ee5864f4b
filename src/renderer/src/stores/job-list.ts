/**
 * The jobs screen's list: the query (filters, search, sort), the rows loaded so far, page
 * by page as the operator scrolls, the live progress of running rows, and the selection.
 *
 * Live, without reloading what is on screen: a change to a row it holds is applied in place
 * (or the row leaves, when it no longer matches); a change to a job it does not hold, that
 * would sit among the rows loaded, is fetched by id and put in its place; new jobs (the
 * counts say jobs came or went) refresh the head of the list, which replaces the part of
 * the list it covers. Changes that arrive while a page is on its way are applied to it.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvent, EngineEvents, JobChange } from '../../../shared/contract'
import { comparePositions, positionOf, type JobFilterOptions, type JobFilters, type JobPage, type JobSort, type ListPosition } from '../../../shared/job-list'
import type { JobSummary, QueueCounts } from '../../../shared/jobs'
import type { Client } from '../api'
import { problemOf, totalOf, type JobProgress } from './queue'
import { applyChanges, filtersOf, type ListQuery, matchesState, mergeHead, NO_QUERY, placeRows, runningProgress, withinLoaded } from './job-rows'
import { throttle } from './throttle'

/** The first page: a screenful and more, quick to come. */
export const FIRST_PAGE = 200
/** Later pages, as the operator scrolls. */
export const NEXT_PAGE = 500
/** A list with fewer rows than this keeps asking while the engine has more to look through. */
export const FILL = 200
/** Most one refresh per this interval, however busy the event stream is. */
export const REFRESH_MS = 500
/** How often delayed rows are checked for having come due (time sends no event). */
export const DUE_CHECK_MS = 1000
/** The filters' choices are read again at most this often while jobs come and go. */
export const OPTIONS_REFRESH_MS = 2000
/** Typing in the search box waits this long for the next key. */
export const SEARCH_DEBOUNCE_MS = 250

export interface JobListState {
  query: ListQuery
  /** The search box as typed; the query takes it after a pause in typing. */
  searchText: string
  rows: JobSummary[]
  /** Where the next page starts; null when the rows are every match. */
  next: ListPosition | null
  /** `loading` until the rows show what the query matches (a first page, or the end). */
  listState: 'loading' | 'ready'
  /** A page is on its way. */
  paging: boolean
  /** Matches, when the engine could count them cheaply; `capped`: at least that many. */
  total: { count: number; capped: boolean } | null
  progress: Record<number, JobProgress>
  selected: ReadonlySet<number>
  /** The row a shift-click extends the selection from. */
  anchor: number | null
  /** A failure to tell the operator, dismissible. */
  error: string | null
  /** What the filters offer, once read. */
  options: JobFilterOptions | null

  /** Loads and follows the engine; returns the function that stops following. */
  start(): () => void
  setFilter<K extends keyof JobFilters>(key: K, value: JobFilters[K] | undefined): void
  setSort(sort: JobSort): void
  setSearchText(text: string): void
  /** Every filter off, the state's too; the sort stays. */
  clearFilters(): void
  /** The next page, when there is one and none is on its way. */
  loadMore(): void
  toggle(id: number, range?: boolean): void
  /** Selects every row loaded, or clears the selection when they all are. */
  toggleAll(): void
  clearSelection(): void
  /** Rows the operator deleted. */
  forget(ids: readonly number[]): void
  dismissError(): void
  /** Reads what the filters offer (again: batches and tags come and go). */
  loadOptions(): void
}

/** True when the query filters on anything but the state (what the maintained counts cover). */
export function createJobListStore(client: Client): StoreApi<JobListState> {
  return createStore<JobListState>()((set, get) => {
    /** Bumped when the query changes: answers for an older query are dropped. */
    let generation = 0
    /** Changes that arrived while a page was on its way: the page may predate them. */
    let replay: JobChange[] | null = null
    let inFlight = 0
    /** Jobs to fetch by id: changed jobs that may belong among the rows, and rows whose details moved on. */
    const wanted = new Set<number>()
    /** The counts last seen: when the list's share of them moves, its head is read again. */
    let lastCounts: QueueCounts | null = null
    let searchTimer: ReturnType<typeof setTimeout> | undefined
    let following = false
    let headAgain = false

    const fail = (what: string) => (error: unknown) => set({ error: `Could not ${what}: ${problemOf(error).message}` })

    /** Runs a listJobs call for the current query; `apply` runs only if the query is still the same. */
    async function ask(input: Partial<Parameters<Client['listJobs']>[0]>, apply: (page: JobPage, changes: JobChange[]) => void): Promise<void> {
      const asked = generation
      replay ??= []
      inFlight++
      try {
        const page = await client.listJobs({ ...filtersOf(get().query), ...input })
        if (asked !== generation) return
        apply(page, replay ?? [])
      } finally {
        if (--inFlight === 0) replay = null
      }
    }

    /** New rows, with the progress and the selection of rows that left dropped. */
    function setRows(rows: JobSummary[], extra: Partial<JobListState> = {}): void {
      const { progress, selected } = get()
      const ids = new Set(rows.map((row) => row.id))
      const keptSelection = [...selected].filter((id) => ids.has(id))
      set({
        rows,
        progress: runningProgress(progress, rows),
        ...(keptSelection.length !== selected.size ? { selected: new Set(keptSelection) } : {}),
        ...extra,
      })
    }

    function settleRows(rows: JobSummary[], next: ListPosition | null, changes: JobChange[], extra: Partial<JobListState> = {}): void {
      setRows(applyChanges(rows, changes, get().query.state).rows, { next, ...extra })
      const state = get()
      const full = state.rows.length >= FILL || state.next === null
      if (state.listState === 'loading' && full) {
        set({ listState: 'ready' })
        if (headAgain) {
          headAgain = false
          refreshHead.request()
        }
      }
      // A search that found little so far keeps looking while the engine has more.
      if (!full && !state.paging) get().loadMore()
    }

    function firstPage(): void {
      generation++
      wanted.clear()
      headAgain = false
      set({ rows: [], next: null, listState: 'loading', paging: true, total: null, progress: {}, selected: new Set(), anchor: null })
      ask({ limit: FIRST_PAGE }, (page, changes) => {
        set({ paging: false, total: page.total === undefined ? null : { count: page.total, capped: page.totalCapped === true } })
        settleRows(page.jobs, page.next, changes)
      }).catch((error: unknown) => {
        set({ paging: false, listState: 'ready' })
        fail('load the job list')(error)
      })
    }

    /** The head again: new jobs, and jobs that left, within the first page's reach. */
    const refreshHead = throttle(async () => {
      // The first page is still coming: refresh once it is in, as it may predate what asked.
      if (get().listState === 'loading') {
        headAgain = true
        return
      }
      await ask({ limit: FIRST_PAGE }, (head, changes) => {
        const { rows, next, query } = get()
        const merged = mergeHead(rows, next, head, query.sort)
        const total = head.total === undefined ? get().total : { count: head.total, capped: head.totalCapped === true }
        settleRows(merged.rows, merged.next, changes, { total })
      }).catch(fail('refresh the job list'))
    }, REFRESH_MS)

    /** Jobs by id: changed jobs that may now belong among the rows, and rows to bring up to date. */
    const fetchWanted = throttle(async () => {
      const ids = [...wanted].slice(0, NEXT_PAGE)
      for (const id of ids) wanted.delete(id)
      if (ids.length === 0) return
      await ask({ ids, limit: ids.length }, (page, changes) => {
        const { rows, next, query } = get()
        const found = new Set(page.jobs.map((job) => job.id))
        const askedFor = new Set(ids)
        const placed = page.jobs.filter((job) => withinLoaded(query.sort, positionOf(query.sort, job), next))
        // Rows asked for and not found no longer match (or are gone).
        const remaining = rows.filter((row) => found.has(row.id) || !askedFor.has(row.id))
        settleRows(placeRows(remaining, placed, query.sort), next, changes)
      }).catch(fail('refresh the job list'))
      if (wanted.size > 0) fetchWanted.request()
    }, REFRESH_MS)

    function onJobs({ changes, truncated }: EngineEvents['jobs']): void {
      replay?.push(...changes)
      if (truncated) return refreshHead.request()
      const { rows, query, next } = get()
      const applied = applyChanges(rows, changes, query.state)
      if (applied.rows !== rows) setRows(applied.rows)
      // A row that failed or died has a new error to show; one that waits again may be held.
      for (const change of applied.touched) if (change.state === 'dead' || (change.state === 'queued' && change.attemptsMade > 0)) wanted.add(change.id)
      for (const change of applied.unknown) {
        if (!matchesState(query.state, change.state)) continue
        // By id alone the place is known unless sorted by priority: then the engine says.
        if (query.sort !== 'priority' && !withinLoaded(query.sort, { id: change.id }, next)) continue
        wanted.add(change.id)
      }
      if (wanted.size > NEXT_PAGE) {
        wanted.clear()
        refreshHead.request()
      } else if (wanted.size > 0) fetchWanted.request()
    }

    function onCounts(counts: QueueCounts): void {
      const { state } = get().query
      // Jobs were enqueued or removed (enqueues send no job events), or became due (nor does time):
      // the head may have new ones. The first counts since the first page may already say so.
      const added = lastCounts !== null && totalOf(counts) !== totalOf(lastCounts)
      const moved = lastCounts === null || added || (state !== undefined && counts[state] !== lastCounts[state])
      lastCounts = counts
      if (moved) refreshHead.request()
      // New jobs may bring a new batch, provider, model or tag to choose.
      if (added && get().options) refreshOptions.request()
    }

    const refreshOptions = throttle(async () => {
      await client.jobFilterOptions({}).then((options) => set({ options }), fail('read the filter choices'))
    }, OPTIONS_REFRESH_MS)

    function onProgress({ updates }: EngineEvents['progress']): void {
      const { rows, progress } = get()
      const running = new Set(rows.filter((row) => row.state === 'active').map((row) => row.id))
      const mine = updates.filter((update) => running.has(update.id))
      if (mine.length === 0) return
      const next = { ...progress }
      for (const update of mine) next[update.id] = update
      set({ progress: next })
    }

    function onEvent(event: EngineEvent): void {
      if (event.type === 'jobs') onJobs(event.data)
      else if (event.type === 'counts') onCounts(event.data.counts)
      else if (event.type === 'progress') onProgress(event.data)
    }

    /** `typed`: take what is in the search box now, though the pause in typing has not come yet. */
    function setQuery(query: ListQuery, typed = searchTimer !== undefined): void {
      clearTimeout(searchTimer)
      searchTimer = undefined
      const next = typed ? { ...query, search: get().searchText.trim() || undefined } : query
      if (next.search === undefined) delete next.search
      set({ query: next, searchText: next.search ?? '' })
      if (following) firstPage()
    }

    return {
      query: NO_QUERY,
      searchText: '',
      rows: [],
      next: null,
      listState: 'loading',
      paging: false,
      total: null,
      progress: {},
      selected: new Set(),
      anchor: null,
      error: null,
      options: null,

      start() {
        following = true
        lastCounts = null
        const stopEvents = client.onEvent(onEvent)
        let wasLive = true
        const stopConnection = client.onConnection((connection) => {
          // Events were missed while the stream was down: the list may be behind.
          if (connection === 'live' && !wasLive) refreshHead.request()
          wasLive = connection === 'live' || connection === 'connecting'
        })
        // A delayed job that comes due is queued: no event says so, the clock does.
        const dueCheck = setInterval(() => {
          const now = Date.now()
          const due = get().rows.filter((row) => row.state === 'delayed' && row.runAt <= now)
          if (due.length > 0) onJobs({ changes: due.map((row) => ({ id: row.id, state: 'queued', attemptsMade: row.attemptsMade })), truncated: false })
        }, DUE_CHECK_MS)
        firstPage()
        return () => {
          clearInterval(dueCheck)
          following = false
          generation++
          clearTimeout(searchTimer)
          stopEvents()
          stopConnection()
          refreshHead.cancel()
          fetchWanted.cancel()
          refreshOptions.cancel()
        }
      },

      setFilter(key, value) {
        const query = { ...get().query, [key]: value }
        // A model belongs to its provider: another provider's model would match nothing.
        if (key === 'provider' && value !== get().query.provider) delete query.model
        if (get().query[key] === value) return
        setQuery(query)
      },

      setSort(sort) {
        if (sort !== get().query.sort) setQuery({ ...get().query, sort })
      },

      setSearchText(text) {
        set({ searchText: text })
        clearTimeout(searchTimer)
        searchTimer = setTimeout(() => {
          searchTimer = undefined
          const search = text.trim() || undefined
          if (search !== get().query.search) setQuery({ ...get().query, search }, false)
        }, SEARCH_DEBOUNCE_MS)
      },

      clearFilters() {
        setQuery({ sort: get().query.sort }, false)
      },

      loadMore() {
        const { next, paging } = get()
        if (next === null || paging) return
        const asked = generation
        set({ paging: true })
        ask({ after: next, limit: NEXT_PAGE }, (page, changes) => {
          const { rows, next: before } = get()
          set({ paging: false })
          // A refresh may have moved on meanwhile: only a page from where the list ends is taken.
          if (before === null || comparePositions(get().query.sort, before, next) !== 0) return
          settleRows(placeRows(rows, page.jobs, get().query.sort), page.next, changes)
        })
          .catch((error: unknown) => {
            fail('load more jobs')(error)
          })
          .finally(() => {
            if (asked === generation && get().paging) set({ paging: false })
          })
      },

      toggle(id, range = false) {
        const { rows, selected, anchor } = get()
        const next = new Set(selected)
        const from = anchor === null ? -1 : rows.findIndex((row) => row.id === anchor)
        const to = rows.findIndex((row) => row.id === id)
        if (range && from >= 0 && to >= 0) {
          // The range takes the anchor's state: shift-click extends a selection, or a clearing.
          const select = selected.has(anchor!)
          for (const row of rows.slice(Math.min(from, to), Math.max(from, to) + 1)) {
            if (select) next.add(row.id)
            else next.delete(row.id)
          }
        } else if (next.has(id)) next.delete(id)
        else next.add(id)
        set({ selected: next, anchor: id })
      },

      toggleAll() {
        const { rows, selected } = get()
        const all = rows.length > 0 && rows.every((row) => selected.has(row.id))
        set({ selected: all ? new Set() : new Set(rows.map((row) => row.id)), anchor: null })
      },

      clearSelection: () => set({ selected: new Set(), anchor: null }),

      forget(ids) {
        const gone = new Set(ids)
        const { rows, selected } = get()
        set({ rows: rows.filter((row) => !gone.has(row.id)), selected: new Set([...selected].filter((id) => !gone.has(id))) })
      },

      dismissError: () => set({ error: null }),

      loadOptions: () => refreshOptions.request(),
    }
  })
}
