/**
 * The contract's estimate of jobs about to be enqueued (`genops enqueue --estimate`, here or
 * on a server): the jobs as enqueue would write them (the call's defaults applied), estimated
 * by estimate.ts with today's prices; nothing is written.
 */
import type { OperationHandlers } from '../../shared/contract'
import { mapInSlices } from '../intake/slices'
import { toNewJob } from '../queue/new-job'
import type { QueueStore } from '../queue/store'
import { estimateJobs } from './estimate'
import { loadPriceList, PriceBook } from './pricing'

export function estimateHandlers(store: QueueStore): OperationHandlers<'estimateJobs'> {
  return {
    estimateJobs: async ({ jobs, defaults = {} }) => {
      const now = Date.now()
      const newJobs = await mapInSlices(jobs, (spec) => toNewJob(spec, defaults, now))
      // Weighed on the lane the jobs take, as enqueue fixes it: a job's own, else its profile's default; batch when every job's is.
      const batchProfiles = new Set((await store.listProfiles()).filter((profile) => profile.config?.lane === 'batch').map((profile) => profile.name))
      const laneOf = (job: (typeof newJobs)[number]) => job.config?.lane ?? (batchProfiles.has(job.provider) ? 'batch' : 'realtime')
      const lane = newJobs.every((job) => laneOf(job) === 'batch') ? 'batch' : 'realtime'
      const prices = new PriceBook(loadPriceList(), await store.costs.priceOverrides())
      return estimateJobs(newJobs, store, prices, { lane, now })
    },
  }
}
