/**
 * The contract's operations on dead letters, failure groups and regression cases, spread
 * into createHandlers (operations.ts). Kept apart so the queue's everyday operations stay
 * a file one reads in a sitting.
 */
import { OperationError, type JobChange, type OperationHandlers } from '../../shared/contract'
import type { DeadSelection as SelectionInput } from '../../shared/failures'
import type { JobSpec } from '../../shared/jobs'
import { toNewJob } from '../queue/new-job'
import type { DeadSelection, NewJob, QueueStore } from '../queue/store'

type FailureOperation = 'listDead' | 'deadStats' | 'retryDead' | 'purgeDead' | 'listFailureGroups' | 'pinFailureGroup' | 'listRegressions' | 'runRegressions'
export type FailureHandlers = OperationHandlers<FailureOperation>

/** What these operations tell a running engine (the engine's Runtime has it all). */
export interface FailureRuntime {
  jobsChanged(changes: JobChange[]): void
  countsMayChange(): void
  kick(): void
}

/** The store's selection for a contract selection given as ids, all, or a filter (one id is handled apart). */
function selectionOf({ ids, all, category, provider, batchId }: SelectionInput): DeadSelection {
  if (ids) return { ids }
  if (all) return { where: {} }
  return { where: { category, provider, batchId } }
}

/**
 * A regression case as a job to enqueue now: never with the original's idempotency key, which
 * would name the original job, nor its artifact name: cases of several batches run in one,
 * where two could ask for one name; each output is named by its new job's id.
 */
function regressionJob(spec: JobSpec, now: number): NewJob {
  const { outputName: _named, ...config } = spec.config ?? {}
  return toNewJob({ ...spec, idempotencyKey: undefined, delayMs: undefined, config }, {}, now)
}

export function failureHandlers(store: QueueStore, runtime: FailureRuntime): FailureHandlers {
  const now = () => Date.now()
  return {
    listDead: async (input) => ({ jobs: await store.listDead(input, now()) }),
    deadStats: async () => store.deadStats(),
    retryDead: async (input) => {
      if (input.id !== undefined) {
        const { change } = await store.retry(input.id, now(), ['dead'])
        runtime.jobsChanged([change])
        runtime.kick()
        return { retried: 1 }
      }
      const retried = await store.retryDead(selectionOf(input), now())
      runtime.countsMayChange()
      if (retried > 0) runtime.kick()
      return { retried }
    },
    purgeDead: async (input) => {
      const removed = await store.purgeDead(input.id === undefined ? selectionOf(input) : { ids: [input.id] })
      runtime.countsMayChange()
      if (input.id !== undefined && removed === 0) {
        const job = await store.get(input.id, now())
        if (!job) throw new OperationError('NOT_FOUND', `job ${input.id} does not exist`)
        throw new OperationError('CONFLICT', `job ${input.id} is ${job.state}: only dead jobs can be purged`)
      }
      return { removed }
    },
    listFailureGroups: async (input) => ({ groups: await store.listFailureGroups(input) }),
    pinFailureGroup: async ({ fingerprint }) => store.pinFailureGroup(fingerprint, now()),
    listRegressions: async ({ fingerprint }) => ({ cases: await store.listRegressions(now(), fingerprint) }),
    runRegressions: async ({ fingerprint }) => {
      const at = now()
      const cases = await store.listRegressions(at, fingerprint)
      if (cases.length === 0) {
        throw new OperationError(
          'NOT_FOUND',
          fingerprint
            ? `failure group ${fingerprint} has no regression cases: pin it first`
            : 'there are no regression cases: pin a flagged failure group first',
        )
      }
      const runnable = cases.flatMap((c) => (c.spec ? [{ caseId: c.id, job: regressionJob(c.spec, at) }] : []))
      const skipped = cases.flatMap((c) => (c.spec ? [] : [{ caseId: c.id, problem: c.problem ?? 'the stored spec does not parse' }]))
      if (runnable.length === 0) {
        throw new OperationError('CONFLICT', `no regression case can run: ${skipped.map((s) => `case ${s.caseId}: ${s.problem}`).join('; ')}`)
      }
      const { batchId, jobIds } = await store.enqueue(
        runnable.map((r) => r.job),
        `regressions ${new Date(at).toISOString()}`,
        at,
      )
      const runs = runnable.map((r, i) => ({ caseId: r.caseId, jobId: jobIds[i]! }))
      await store.noteRegressionRun(runs, at)
      runtime.countsMayChange()
      runtime.kick()
      return { batchId, runs, skipped }
    },
  }
}
