/**
 * The queue store as a measured engine uses it: the transactions the queue waits for
 * (claim, settle, enqueue) are timed, and every job this engine sees leave the queue
 * (completed, dead, cancelled) has its time from enqueue to finish observed, here, at the
 * one place all of them pass: whichever operation or part of the scheduler made the call.
 * How many jobs entered and left is the store's to count (store/sqlite/telemetry/metric-totals.ts),
 * whoever made the change. Every other method is the store's own.
 */
import { performance } from 'node:perf_hooks'
import type { DbOperation } from '../../shared/metrics'
import type { Awaitable, FinishedJob, QueueStore } from '../queue/store'
import type { EngineMetrics } from './metrics'

export function measuredStore(store: QueueStore, metrics: EngineMetrics, onError: (error: unknown, during: string) => void): QueueStore {
  const timed = <T>(operation: DbOperation, run: () => Awaitable<T>, then: (value: T) => void): Awaitable<T> => {
    const started = performance.now()
    const done = (value: T): T => {
      metrics.transaction(operation, (performance.now() - started) / 1000)
      then(value)
      return value
    }
    const value = run()
    // The SQLite store answers synchronously: keep it so, without a turn of the event loop.
    return value instanceof Promise ? value.then(done) : done(value)
  }

  /** Jobs that died outside a settle (stalled too often, or unreadable at claim): their labels are read back. */
  const diedElsewhere = (ids: number[], now: number) => {
    for (const id of ids) {
      Promise.resolve(store.get(id, now))
        .then((job) => {
          if (job?.state === 'dead') metrics.jobsFinished([{ ...job, outcome: 'dead', finishedAt: job.finishedAt ?? now }])
        })
        .catch((error: unknown) => onError(error, `counting dead job ${id}`))
    }
  }

  const measured: Partial<QueueStore> = {
    enqueue: (jobs, batchName, now, maxConcurrency, options) =>
      timed(
        'enqueue',
        () => store.enqueue(jobs, batchName, now, maxConcurrency, options),
        () => {},
      ),
    claim: (options) =>
      timed(
        'claim',
        () => store.claim(options),
        ({ changes }) => {
          const dead = changes.filter((change) => change.state === 'dead').map((change) => change.id)
          if (dead.length > 0) diedElsewhere(dead, options.now)
        },
      ),
    settle: (results, owner, finished) => {
      const done: FinishedJob[] = []
      return timed(
        'settle',
        () => store.settle(results, owner, done),
        () => {
          metrics.jobsFinished(done)
          finished?.push(...done)
        },
      )
    },
    cancel: (id, now) => {
      const answer = store.cancel(id, now)
      const count = (result: Awaited<typeof answer>) => {
        const { job, change } = result
        if (change?.state === 'cancelled') metrics.jobsFinished([{ ...job, outcome: 'cancelled', finishedAt: job.finishedAt ?? now }])
        return result
      }
      return answer instanceof Promise ? answer.then(count) : count(answer)
    },
    recoverStalled: (options) => {
      const answer = store.recoverStalled(options)
      const count = (changes: Awaited<typeof answer>) => {
        const dead = changes.filter((change) => change.state === 'dead').map((change) => change.id)
        if (dead.length > 0) diedElsewhere(dead, options.now)
        return changes
      }
      return answer instanceof Promise ? answer.then(count) : count(answer)
    },
  }

  const bound = new Map<PropertyKey, unknown>()
  return new Proxy(store, {
    get(target, key) {
      if (Object.hasOwn(measured, key)) return measured[key as keyof QueueStore]
      const value: unknown = Reflect.get(target, key, target)
      if (typeof value !== 'function') return value
      // Bound once: the store's methods read their own fields (the SQLite store's db).
      if (!bound.has(key)) bound.set(key, (value as (...args: unknown[]) => unknown).bind(target))
      return bound.get(key)
    },
  })
}
