/**
 * The sample jobs a failure group keeps: the most recent, as they are the likeliest still to
 * exist when the group is pinned. Shared by both stores' writes (no SQL here).
 */
import { GROUP_SAMPLES } from '../../shared/failures'

export const isIdArray = (value: unknown): value is number[] => Array.isArray(value) && value.every((item) => Number.isInteger(item))

/** The samples after these jobs failed, in order, into a group that kept `samples`. */
export function keptSamples(samples: readonly number[], jobIds: readonly number[]): number[] {
  let kept = [...samples]
  for (const jobId of jobIds) if (!kept.includes(jobId)) kept = [...kept, jobId].slice(-GROUP_SAMPLES)
  return kept
}
