/**
 * The jobs screen's stores, made once per client and kept while the window lives, so the
 * filters survive a visit to another screen: the list, the job in detail, and bulk actions.
 */
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { Client } from '../../api'
import { useClient } from '../../client'
import { useRoute } from '../../shell/route'
import { createBulkStore, type BulkState } from '../../stores/bulk-actions'
import { createJobDetailStore, type JobDetailState } from '../../stores/job-detail'
import { createJobListStore, type JobListState } from '../../stores/job-list'

interface JobsStores {
  list: StoreApi<JobListState>
  detail: StoreApi<JobDetailState>
  bulk: StoreApi<BulkState>
}

const made = new WeakMap<Client, JobsStores>()

export function useJobsStores(): JobsStores {
  const client = useClient()
  let stores = made.get(client)
  if (!stores) {
    const list = createJobListStore(client)
    const detail = createJobDetailStore(client, (id) => {
      list.getState().forget([id])
      if (useRoute.getState().jobId === id) useRoute.getState().go({ jobId: null })
    })
    const bulk = createBulkStore(client, () => list.getState().clearSelection())
    stores = { list, detail, bulk }
    made.set(client, stores)
  }
  return stores
}

export const useJobList = <T>(selector: (state: JobListState) => T): T => useStore(useJobsStores().list, selector)
export const useJobDetail = <T>(selector: (state: JobDetailState) => T): T => useStore(useJobsStores().detail, selector)
export const useBulk = <T>(selector: (state: BulkState) => T): T => useStore(useJobsStores().bulk, selector)
