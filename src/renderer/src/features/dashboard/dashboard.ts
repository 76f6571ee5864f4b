/**
 * What the dashboard shows: the series of the picked time range, the breakers and the
 * health report. The series are read again on an interval fitting the range's resolution
 * and, throttled, when the engine's counts change; breakers and health when a notice says
 * something changed, and every few seconds at most. A tick replaces the data, never the
 * chart (the charts' options do not depend on it).
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvent } from '../../../../shared/contract'
import type { Series, SeriesMetric } from '../../../../shared/costs'
import type { HealthReport } from '../../../../shared/health'
import type { BreakerInfo } from '../../../../shared/resilience'
import type { Client } from '../../api'
import { throttle, type Throttled } from '../../stores/throttle'
import { sayProblem } from '../../words'
import { CHARTS, rangeOf, type RangeId } from './series'

/** Breakers and health at most this often: the health checks touch the disk. */
export const GLANCE_REFRESH_MS = 5000

export interface DashboardState {
  status: 'loading' | 'ready' | 'error'
  /** Why the first load failed. */
  loadProblem: string | null
  /** Why the last refresh failed, while older figures stay on screen. */
  refreshProblem: string | null
  range: RangeId
  series: Partial<Record<SeriesMetric, Series>>
  breakers: BreakerInfo[]
  health: HealthReport | null
  /** Why breakers or health could not be read: the charts still show. */
  glanceProblem: string | null

  /** The simulator demo on its way, or what became of it. */
  demo: { state: 'idle' | 'busy' | 'done' | 'error'; text: string | null }

  start(): () => void
  setRange(range: RangeId): void
  /** Enqueues a few jobs on the built-in simulator, for a first look at the charts. */
  trySimulator(): Promise<void>
}

/** Jobs the "try the simulator" button enqueues: enough to draw every chart, few enough to finish in seconds. */
export const DEMO_JOBS = 20

export function createDashboardStore(client: Client, initialRange: RangeId = '5m'): StoreApi<DashboardState> {
  return createStore<DashboardState>()((set, get) => {
    let request = 0
    let running = false
    let seriesRefresh: Throttled | null = null
    let ticker: ReturnType<typeof setInterval> | undefined

    async function loadSeries(): Promise<void> {
      const asked = ++request
      const range = rangeOf(get().range)
      const since = Date.now() - range.windowMs
      try {
        const answers = await Promise.all(CHARTS.map(({ metric }) => client.series({ metric, resolution: range.resolution, since })))
        if (asked !== request) return
        set({ series: Object.fromEntries(answers.map((series) => [series.metric, series])), status: 'ready', loadProblem: null, refreshProblem: null })
      } catch (error) {
        if (asked !== request) return
        if (get().status === 'ready') set({ refreshProblem: `The charts could not be refreshed: ${sayProblem(error)}` })
        else set({ status: 'error', loadProblem: sayProblem(error) })
      }
    }

    const glanceRefresh = throttle(async () => {
      try {
        const [breakers, health] = await Promise.all([client.listBreakers({}), client.healthReport({})])
        if (running) set({ breakers: breakers.breakers, health, glanceProblem: null })
      } catch (error) {
        if (running) set({ glanceProblem: sayProblem(error) })
      }
    }, GLANCE_REFRESH_MS)

    /** The range decides how often: a new throttle and interval for each. */
    function schedule(): void {
      seriesRefresh?.cancel()
      if (ticker !== undefined) clearInterval(ticker)
      const range = rangeOf(get().range)
      seriesRefresh = throttle(loadSeries, range.eventRefreshMs)
      ticker = setInterval(() => {
        seriesRefresh?.request()
        glanceRefresh.request()
      }, range.refreshMs)
    }

    return {
      status: 'loading',
      loadProblem: null,
      refreshProblem: null,
      range: initialRange,
      series: {},
      breakers: [],
      health: null,
      glanceProblem: null,
      demo: { state: 'idle', text: null },

      start() {
        running = true
        const stop = client.onEvent((event: EngineEvent) => {
          if (event.type === 'counts') seriesRefresh?.request()
          if (event.type === 'notice') glanceRefresh.request()
        })
        schedule()
        void loadSeries()
        glanceRefresh.request()
        return () => {
          running = false
          stop()
          seriesRefresh?.cancel()
          glanceRefresh.cancel()
          if (ticker !== undefined) clearInterval(ticker)
          request++
        }
      },

      setRange(range) {
        if (range === get().range) return
        set({ range })
        if (!running) return
        schedule()
        void loadSeries()
      },

      async trySimulator() {
        if (get().demo.state === 'busy') return
        set({ demo: { state: 'busy', text: null } })
        try {
          const jobs = Array.from({ length: DEMO_JOBS }, (_, i) => ({ prompt: `Write line ${i + 1} of a short poem about queues.`, provider: 'sim' }))
          const { jobIds } = await client.enqueueJobs({ jobs, batchName: 'Simulator demo' })
          set({ demo: { state: 'done', text: `${jobIds.length} simulator jobs queued: the charts fill in as they run.` } })
        } catch (error) {
          set({ demo: { state: 'error', text: sayProblem(error) } })
        }
        seriesRefresh?.request()
      },
    }
  })
}
