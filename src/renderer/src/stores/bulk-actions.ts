/**
 * Cancel or retry many jobs at once: asked, confirmed, then sent in slices so a large
 * selection shows its progress (and can be stopped between slices). What the engine
 * skipped is kept with its reason, for the operator to read.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { BulkResult } from '../../../shared/job-list'
import type { Client } from '../api'
import { problemOf } from './queue'

export type BulkAction = 'cancel' | 'retry'

/** Jobs per call: small enough for the progress bar to move, large enough to be few calls. */
export const BULK_SLICE = 200

export interface BulkState {
  phase: 'idle' | 'confirm' | 'running' | 'done'
  action: BulkAction | null
  ids: readonly number[]
  /** Jobs the engine has answered for so far. */
  processed: number
  done: number
  skipped: BulkResult['skipped']
  /** Why the run stopped early, when it did. */
  failure: string | null
  stopping: boolean

  /** Asks for confirmation of an action on these jobs. */
  ask(action: BulkAction, ids: readonly number[]): void
  confirm(): Promise<void>
  /** Stops after the slice on its way. */
  stop(): void
  /** Back to idle (after done, or instead of confirming). */
  close(): void
}

export function createBulkStore(client: Client, onFinished: (action: BulkAction, done: number) => void = () => {}): StoreApi<BulkState> {
  return createStore<BulkState>()((set, get) => ({
    phase: 'idle',
    action: null,
    ids: [],
    processed: 0,
    done: 0,
    skipped: [],
    failure: null,
    stopping: false,

    ask(action, ids) {
      if (get().phase === 'running' || ids.length === 0) return
      set({ phase: 'confirm', action, ids: [...ids], processed: 0, done: 0, skipped: [], failure: null, stopping: false })
    },

    async confirm() {
      const { phase, action, ids } = get()
      if (phase !== 'confirm' || !action) return
      set({ phase: 'running' })
      const call = (input: { ids: number[] }) => (action === 'cancel' ? client.cancelJobs(input) : client.retryJobs(input))
      for (let start = 0; start < ids.length; start += BULK_SLICE) {
        if (get().stopping) break
        const slice = ids.slice(start, start + BULK_SLICE)
        try {
          const result = await call({ ids: slice })
          set((state) => ({ processed: state.processed + slice.length, done: state.done + result.done.length, skipped: [...state.skipped, ...result.skipped] }))
        } catch (error) {
          set({ failure: problemOf(error).message })
          break
        }
      }
      set({ phase: 'done', stopping: false })
      onFinished(action, get().done)
    },

    stop() {
      if (get().phase === 'running') set({ stopping: true })
    },

    close() {
      if (get().phase !== 'running') set({ phase: 'idle', action: null, ids: [], processed: 0, done: 0, skipped: [], failure: null })
    },
  }))
}
