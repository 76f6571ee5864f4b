/**
 * The Workers panel's data: the engines working this queue (the contract's listWorkers),
 * read when the panel opens and again every few seconds while it shows, so a stopped or
 * killed engine, and the jobs each holds, are seen without a reload.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { WorkerInfo } from '../../../../shared/workers'
import type { Client } from '../../api'
import { sayProblem } from '../../words'

export interface WorkersState {
  workers: WorkerInfo[] | null
  problem: string | null
  load(): Promise<void>
}

export function createWorkersStore(client: Pick<Client, 'listWorkers'>): StoreApi<WorkersState> {
  // One read at a time: over a slow link a tick that finds the last read still out is skipped, so no older answer lands last.
  let reading = false
  return createStore<WorkersState>()((set) => ({
    workers: null,
    problem: null,
    async load() {
      if (reading) return
      reading = true
      try {
        const { workers } = await client.listWorkers({})
        set({ workers, problem: null })
      } catch (error) {
        // The last list stays, marked as not current.
        set({ problem: `The workers could not be read: ${sayProblem(error)}` })
      } finally {
        reading = false
      }
    },
  }))
}
