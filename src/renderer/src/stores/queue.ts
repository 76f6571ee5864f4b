/**
 * The queue as the jobs screen shows it: counts by state, the paused flag, the newest page
 * of jobs (optionally of one state) and the live progress of the active ones. Fed by one
 * load and then by engine events; rows are updated in place, and the page is refetched
 * (throttled) only when events say it no longer matches what the engine holds.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvent, EngineEvents, JobChange } from '../../../shared/contract'
import { JOB_STATES, type JobState, type JobSummary, type QueueCounts, type QueueStats } from '../../../shared/jobs'
import { ApiError, type Client, type Connection } from '../api'
import { throttle } from './throttle'

/** Rows on the screen: the newest jobs, one listJobs call. */
export const PAGE_SIZE = 200
/** Most one refetch per this interval, however busy the event stream is. */
export const REFETCH_MS = 500

export type JobProgress = EngineEvents['progress']['updates'][number]
export type Problem = { code: string; message: string }

export interface QueueState {
  /** The first load: what `data-app-state` announces. */
  status: 'loading' | 'ready' | 'error'
  /** Why the first load failed. */
  error: Problem | null
  /** A later failure worth telling the operator (a refetch, a pause), dismissible. */
  notice: string | null
  connection: Connection
  counts: QueueCounts
  paused: boolean
  pauseInFlight: boolean
  /** Only jobs in this state, or all. */
  filter: JobState | null
  /** True while the page for a new filter is on its way. */
  pageLoading: boolean
  jobs: JobSummary[]
  progress: Record<number, JobProgress>

  /** Loads and follows the engine; returns the function that stops following. */
  start(): () => void
  setFilter(filter: JobState | null): void
  togglePaused(): Promise<void>
  dismissNotice(): void
}

const NO_COUNTS = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as QueueCounts

export const totalOf = (counts: QueueCounts): number => JOB_STATES.reduce((sum, state) => sum + counts[state], 0)

function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return { code: error.code, message: error.message }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }
}

/** The rows with changes applied in place; `stale` when the page itself is now wrong. */
export function applyChanges(jobs: JobSummary[], changes: JobChange[], filter: JobState | null): { jobs: JobSummary[]; stale: boolean } {
  if (changes.length === 0) return { jobs, stale: false }
  const index = new Map(jobs.map((job, i) => [job.id, i]))
  const newest = jobs[0]?.id ?? 0
  const complete = jobs.length < PAGE_SIZE
  const next = jobs.slice()
  let stale = false
  for (const change of changes) {
    const at = index.get(change.id)
    if (at === undefined) {
      // A job the page does not hold belongs on it if it is new, or in the filtered state.
      if (filter ? change.state === filter : complete || change.id > newest) stale = true
      continue
    }
    next[at] = { ...next[at]!, state: change.state, attemptsMade: change.attemptsMade }
    // Left the filtered state, or died (the page then brings the reason).
    if ((filter && change.state !== filter) || change.state === 'dead') stale = true
  }
  return { jobs: next, stale }
}

/** Progress only for rows that are running, so finished jobs do not keep theirs. */
function runningProgress(progress: Record<number, JobProgress>, jobs: JobSummary[]): Record<number, JobProgress> {
  const kept: Record<number, JobProgress> = {}
  for (const job of jobs) if (job.state === 'active' && progress[job.id]) kept[job.id] = progress[job.id]!
  return kept
}

export function createQueueStore(client: Client): StoreApi<QueueState> {
  return createStore<QueueState>()((set, get) => {
    /** Changes that arrived while a page was on its way: the page may predate them. */
    let replay: JobChange[] | undefined
    let pageRequest = 0
    /** Bumped by every counts event, so an answer older than one is not applied over it. */
    let countsSeen = 0
    let session = 0

    async function loadPage(): Promise<void> {
      const asked = ++pageRequest
      const { filter } = get()
      replay = []
      const { jobs } = await client.listJobs({ ...(filter ? { state: filter } : {}), limit: PAGE_SIZE })
      if (asked !== pageRequest) return
      const changes = replay
      replay = undefined
      const updated = applyChanges(jobs, changes, filter).jobs
      set((state) => ({ jobs: updated, pageLoading: false, progress: runningProgress(state.progress, updated) }))
    }

    const refetch = throttle(async () => {
      try {
        await loadPage()
      } catch (error) {
        set({ notice: `Could not refresh the job list: ${problemOf(error).message}` })
      }
    }, REFETCH_MS)

    function applyStats(stats: QueueStats, countsBefore: number): void {
      set(countsBefore === countsSeen ? { counts: stats.counts, paused: stats.paused } : { paused: stats.paused })
    }

    function onCounts(stats: QueueStats): void {
      countsSeen++
      const { counts, filter, jobs } = get()
      const shown = (of: QueueCounts) => (filter ? of[filter] : totalOf(of))
      set({ counts: stats.counts, paused: stats.paused })
      if (get().status !== 'ready') return
      if (shown(stats.counts) !== shown(counts) || jobs.length !== Math.min(shown(stats.counts), PAGE_SIZE)) refetch.request()
    }

    function onJobs({ changes, truncated }: EngineEvents['jobs']): void {
      replay?.push(...changes)
      if (truncated) return refetch.request()
      const { jobs, filter, progress } = get()
      const updated = applyChanges(jobs, changes, filter)
      if (updated.jobs !== jobs) set({ jobs: updated.jobs, progress: runningProgress(progress, updated.jobs) })
      if (updated.stale) refetch.request()
    }

    function onProgress({ updates }: EngineEvents['progress']): void {
      const { jobs, progress } = get()
      const onPage = new Set(jobs.map((job) => job.id))
      const mine = updates.filter((update) => onPage.has(update.id))
      if (mine.length === 0) return
      const next = { ...progress }
      for (const update of mine) next[update.id] = update
      set({ progress: next })
    }

    function onEvent(event: EngineEvent): void {
      if (event.type === 'counts') onCounts(event.data)
      else if (event.type === 'jobs') onJobs(event.data)
      else onProgress(event.data)
    }

    async function load(owner: number): Promise<void> {
      set({ status: 'loading', error: null })
      const countsBefore = countsSeen
      try {
        const [stats] = await Promise.all([client.queueStats({}), loadPage()])
        if (owner !== session) return
        applyStats(stats, countsBefore)
        set({ status: 'ready' })
      } catch (error) {
        if (owner === session) set({ status: 'error', error: problemOf(error) })
      }
    }

    return {
      status: 'loading',
      error: null,
      notice: null,
      connection: 'connecting',
      counts: NO_COUNTS,
      paused: false,
      pauseInFlight: false,
      filter: null,
      pageLoading: false,
      jobs: [],
      progress: {},

      start() {
        const owner = ++session
        const stopEvents = client.onEvent(onEvent)
        const stopConnection = client.onConnection((connection) => {
          // Events were missed while the stream was down: the page may be behind.
          if (connection === 'live' && get().connection === 'reconnecting' && get().status === 'ready') refetch.request()
          set({ connection })
        })
        void load(owner)
        return () => {
          session++
          pageRequest++
          replay = undefined
          stopEvents()
          stopConnection()
          refetch.cancel()
        }
      },

      setFilter(filter) {
        if (filter === get().filter) return
        set({ filter, jobs: [], progress: {}, pageLoading: true })
        loadPage().catch((error: unknown) => set({ pageLoading: false, notice: `Could not load the job list: ${problemOf(error).message}` }))
      },

      async togglePaused() {
        if (get().pauseInFlight) return
        const resume = get().paused
        const countsBefore = countsSeen
        set({ pauseInFlight: true })
        try {
          applyStats(await (resume ? client.resumeQueue({}) : client.pauseQueue({})), countsBefore)
        } catch (error) {
          set({ notice: `Could not ${resume ? 'resume' : 'pause'} the queue: ${problemOf(error).message}` })
        } finally {
          set({ pauseInFlight: false })
        }
      },

      dismissNotice: () => set({ notice: null }),
    }
  })
}
