/**
 * The drop dialog's word for every job of a drop, laid over each job's own config: the lane
 * (real-time or the provider's batch API) and "don't use cached answers" (cache false). The
 * estimate and the commit take the same jobs, so what was estimated is what is enqueued.
 */
import type { Lane } from '../../shared/job-config'
import type { JobSpec } from '../../shared/jobs'
import { mapInSlices } from './slices'

export interface DropChoices {
  /** Every job's lane; undefined leaves each job's own. */
  lane?: Lane | undefined
  /** False: no job reuses a cached answer or leaves one; otherwise each job's own. */
  cache?: boolean | undefined
}

/** The jobs with the choices over their config; the same array when there is nothing to change. In slices: a drop may hold a million. */
export async function withChoices(jobs: JobSpec[], { lane, cache }: DropChoices): Promise<JobSpec[]> {
  if (lane === undefined && cache !== false) return jobs
  return mapInSlices(jobs, (job) => {
    const config = { ...job.config }
    // Said on every job, real-time too: a profile whose default lane is batch would otherwise take the jobs the operator
    // sent real-time (the cache key leaves the lane out, so an answer cached either way still serves).
    if (lane !== undefined) config.lane = lane
    if (cache === false) config.cache = false
    return Object.keys(config).length === 0 ? job : { ...job, config }
  })
}
