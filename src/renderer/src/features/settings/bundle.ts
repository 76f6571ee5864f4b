/**
 * Exporting a diagnostic bundle from the settings screen: one call (exportBundle) that may
 * take a few seconds, announced as busy, then done with where the zip is and what it holds,
 * or the error in words.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { DiagnosticBundle } from '../../../../shared/diagnostics'
import type { Client } from '../../api'
import { sayProblem } from '../../words'

export interface BundleState {
  phase: 'idle' | 'busy' | 'done' | 'error'
  bundle: DiagnosticBundle | null
  problem: string | null
  exportBundle(): Promise<void>
}

export function createBundleStore(client: Client): StoreApi<BundleState> {
  return createStore<BundleState>()((set, get) => ({
    phase: 'idle',
    bundle: null,
    problem: null,
    async exportBundle() {
      if (get().phase === 'busy') return
      set({ phase: 'busy', problem: null })
      try {
        set({ phase: 'done', bundle: await client.exportBundle({}) })
      } catch (error) {
        set({ phase: 'error', bundle: null, problem: `No bundle was written: ${sayProblem(error)}` })
      }
    },
  }))
}
