/** The contract's operations on traces: a job's spans for its waterfall, from the engine or the CLI alike. */
import { OperationError, type OperationHandlers } from '../../shared/contract'
import type { QueueStore } from '../queue/store'

export function traceHandlers(store: QueueStore): OperationHandlers<'getTrace'> {
  return {
    getTrace: async ({ jobId }) => {
      const spans = await store.jobSpans(jobId)
      if (spans === null) throw new OperationError('NOT_FOUND', `job ${jobId} does not exist`)
      return { jobId, spans }
    },
  }
}
