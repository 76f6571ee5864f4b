/**
 * The queue as every screen shares it: the first load (what `data-app-state` announces),
 * counts by state, the paused flag and the event feed's connection. Fed by one load and
 * then by engine events. The jobs screen's list has its own store (job-list.ts).
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvent, EngineEvents } from '../../../shared/contract'
import { JOB_STATES, type QueueCounts, type QueueStats } from '../../../shared/jobs'
import { ApiError, type Client, type Connection } from '../api'

export type JobProgress = EngineEvents['progress']['updates'][number]
export type Problem = { code: string; message: string }

export interface QueueState {
  /** The first load: what `data-app-state` announces. */
  status: 'loading' | 'ready' | 'error'
  /** Why the first load failed. */
  error: Problem | null
  /** A later failure worth telling the operator (a pause that failed), dismissible. */
  notice: string | null
  connection: Connection
  counts: QueueCounts
  paused: boolean
  pauseInFlight: boolean

  /** Loads and follows the engine; returns the function that stops following. */
  start(): () => void
  togglePaused(): Promise<void>
  dismissNotice(): void
}

export const NO_COUNTS = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as QueueCounts

export const totalOf = (counts: QueueCounts): number => JOB_STATES.reduce((sum, state) => sum + counts[state], 0)

export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return { code: error.code, message: error.message }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) }
}

export function createQueueStore(client: Client): StoreApi<QueueState> {
  return createStore<QueueState>()((set, get) => {
    /** Bumped by every counts event, so an answer older than one is not applied over it. */
    let countsSeen = 0
    let session = 0

    function applyStats(stats: QueueStats, countsBefore: number): void {
      set(countsBefore === countsSeen ? { counts: stats.counts, paused: stats.paused } : { paused: stats.paused })
    }

    function onEvent(event: EngineEvent): void {
      if (event.type !== 'counts') return
      countsSeen++
      set({ counts: event.data.counts, paused: event.data.paused })
    }

    async function load(owner: number): Promise<void> {
      set({ status: 'loading', error: null })
      const countsBefore = countsSeen
      try {
        const stats = await client.queueStats({})
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

      start() {
        const owner = ++session
        const stopEvents = client.onEvent(onEvent)
        const stopConnection = client.onConnection((connection) => {
          // Counts were missed while the stream was down: read them again.
          if (connection === 'live' && get().connection === 'reconnecting' && get().status === 'ready') {
            const countsBefore = countsSeen
            client.queueStats({}).then(
              (stats) => owner === session && applyStats(stats, countsBefore),
              () => {},
            )
          }
          set({ connection })
        })
        void load(owner)
        return () => {
          session++
          stopEvents()
          stopConnection()
        }
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
