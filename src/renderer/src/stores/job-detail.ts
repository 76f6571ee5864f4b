/**
 * One job in detail: everything getJob says, its trace when the engine keeps traces, and
 * its live progress while it runs. Read again when a `jobs` event names it; the actions
 * (retry, cancel, delete) announce their state and read the job again when done.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { EngineEvent } from '../../../shared/contract'
import type { JobDetail } from '../../../shared/jobs'
import type { JobLogLine } from '../../../shared/logs'
import type { TraceSpan } from '../../../shared/traces'
import type { Client } from '../api'
import { problemOf, type JobProgress } from './queue'
import { throttle } from './throttle'

export type DetailAction = 'retry' | 'cancel' | 'delete'

/** Most one read of a busy job per this interval. */
export const DETAIL_REFRESH_MS = 300

/**
 * An attempt's spans are written a moment after it ends (in batches, a few times a second):
 * a detail opened just then reads again, every this long, at most TRACE_RETRIES times.
 */
export const TRACE_RETRY_MS = 500
const TRACE_RETRIES = 6

/** Whether the trace has no spans of the job's last attempt though that attempt has ended (its spans may not be written yet). */
export function lastAttemptUntraced(job: JobDetail, spans: readonly TraceSpan[] | null): boolean {
  const last = job.attempts.at(-1)
  return job.state !== 'active' && last !== undefined && spans !== null && !spans.some((span) => span.attempt === last.number)
}

export interface JobDetailState {
  id: number | null
  /** `missing`: no such job (deleted, pruned, or a wrong link). */
  status: 'idle' | 'loading' | 'ready' | 'missing' | 'error'
  job: JobDetail | null
  /** Null until read, or when this engine keeps no traces (then `traceNote` says so). */
  spans: TraceSpan[] | null
  traceNote: string | null
  /** The job's lines from the engine's log; null until read or when they cannot be (then `logNote` says why). */
  logs: JobLogLine[] | null
  logNote: string | null
  progress: JobProgress | null
  /** The action on its way, or the last one's failure. */
  action: { name: DetailAction; state: 'working' | 'failed'; message: string | null } | null
  error: string | null

  /** Shows this job (null: none); returns nothing, follows until another or none. */
  open(id: number | null): void
  act(name: DetailAction): Promise<void>
  /** Follows the engine's events; returns the function that stops. */
  start(): () => void
}

/** What the operator may do to a job in this state. */
export function actionsFor(job: Pick<JobDetail, 'state'>): DetailAction[] {
  switch (job.state) {
    case 'queued':
    case 'delayed':
      return ['cancel', 'delete']
    case 'submitted':
    case 'active':
      return ['cancel']
    case 'dead':
    case 'cancelled':
      return ['retry', 'delete']
    case 'completed':
      return ['delete']
  }
}

export function createJobDetailStore(client: Client, onDeleted: (id: number) => void = () => {}): StoreApi<JobDetailState> {
  return createStore<JobDetailState>()((set, get) => {
    /** Bumped per job opened: answers about another job are dropped. */
    let opened = 0
    let traceRetries = 0
    let traceTimer: ReturnType<typeof setTimeout> | undefined

    async function load(): Promise<void> {
      const { id } = get()
      if (id === null) return
      const asked = opened
      try {
        const [job, trace, logs] = await Promise.all([client.getJob({ id }), readTrace(id), readLogs(id)])
        if (asked !== opened) return
        set({ job, ...trace, ...logs, status: 'ready', error: null, ...(job.state === 'active' ? {} : { progress: null }) })
        if (lastAttemptUntraced(job, trace.spans) && traceRetries < TRACE_RETRIES) {
          traceRetries++
          clearTimeout(traceTimer)
          traceTimer = setTimeout(() => asked === opened && refresh.request(), TRACE_RETRY_MS)
        }
      } catch (error) {
        if (asked !== opened) return
        const problem = problemOf(error)
        if (problem.code === 'NOT_FOUND') set({ status: 'missing', job: null, spans: null, error: null })
        else set({ status: get().job ? 'ready' : 'error', error: `Could not read job ${id}: ${problem.message}` })
      }
    }

    async function readTrace(id: number): Promise<Pick<JobDetailState, 'spans' | 'traceNote'>> {
      try {
        const { spans } = await client.getTrace({ jobId: id })
        return { spans, traceNote: spans.length === 0 ? 'No trace yet: spans are kept as each attempt ends, while traces are on.' : null }
      } catch (error) {
        const problem = problemOf(error)
        // An engine without traces (an older one, or a job whose spans were pruned): the waterfall is left out.
        if (problem.code === 'NOT_FOUND' && /operation/.test(problem.message)) return { spans: null, traceNote: 'This engine keeps no traces.' }
        return { spans: null, traceNote: `The trace could not be read: ${problem.message}` }
      }
    }

    async function readLogs(id: number): Promise<Pick<JobDetailState, 'logs' | 'logNote'>> {
      try {
        const { lines, note } = await client.jobLogs({ jobId: id })
        return { logs: lines, logNote: note }
      } catch (error) {
        return { logs: null, logNote: `The log could not be read: ${problemOf(error).message}` }
      }
    }

    const refresh = throttle(load, DETAIL_REFRESH_MS)

    function onEvent(event: EngineEvent): void {
      const { id } = get()
      if (id === null) return
      if (event.type === 'jobs') {
        if (event.data.truncated || event.data.changes.some((change) => change.id === id)) refresh.request()
      } else if (event.type === 'progress') {
        const update = event.data.updates.find((u) => u.id === id)
        if (update && get().job?.state === 'active') set({ progress: update })
      }
    }

    return {
      id: null,
      status: 'idle',
      job: null,
      spans: null,
      traceNote: null,
      logs: null,
      logNote: null,
      progress: null,
      action: null,
      error: null,

      open(id) {
        if (id === get().id) return
        opened++
        traceRetries = 0
        clearTimeout(traceTimer)
        refresh.cancel()
        set({
          id,
          status: id === null ? 'idle' : 'loading',
          job: null,
          spans: null,
          traceNote: null,
          logs: null,
          logNote: null,
          progress: null,
          action: null,
          error: null,
        })
        if (id !== null) void load()
      },

      async act(name) {
        const { id, action } = get()
        if (id === null || action?.state === 'working') return
        set({ action: { name, state: 'working', message: null } })
        try {
          if (name === 'delete') {
            await client.deleteJob({ id })
            set({ action: null })
            onDeleted(id)
            return
          }
          await (name === 'cancel' ? client.cancelJob({ id }) : client.retryJob({ id }))
          set({ action: null })
          await load()
        } catch (error) {
          if (get().id === id) set({ action: { name, state: 'failed', message: problemOf(error).message } })
        }
      },

      start() {
        const stop = client.onEvent(onEvent)
        return () => {
          stop()
          refresh.cancel()
          clearTimeout(traceTimer)
        }
      },
    }
  })
}
