/**
 * What the reads' conformance suites need: a store with the queue store's reads and the
 * operator's dead-letter moves beside the queue core, and its batches port. Opened fresh per
 * test, closed when it ends; the assertions read through the interface only.
 */
import { onTestFinished } from 'vitest'
import type { BatchStore } from '../../../src/main/batches/store'
import type { QueueStore } from '../../../src/main/queue/store'
import type { QueueCore } from '../../../src/main/store/queue-core'
import { claim, failed, OWNER, T0 } from './harness'

type Reads =
  | 'list'
  | 'filterOptions'
  | 'listDead'
  | 'deadStats'
  | 'retryDead'
  | 'purgeDead'
  | 'retryAllDead'
  | 'listFailureGroups'
  | 'pinFailureGroup'
  | 'listRegressions'
  | 'noteRegressionRun'

export type ReadsStore = QueueCore & Pick<QueueStore, Reads> & { readonly batches: BatchStore }

export type ReadsFactory = () => Promise<ReadsStore>

export async function freshReads(factory: ReadsFactory): Promise<ReadsStore> {
  const store = await factory()
  onTestFinished(() => store.close())
  return store
}

/** Claims the jobs and settles each with an error that kills it (a job of one attempt dies at its first). */
export async function kill(store: ReadsStore, ids: readonly number[], error: (id: number) => { category: string; message: string }, now = T0): Promise<void> {
  const { jobs } = await claim(store, now, ids.length)
  const claimed = jobs.map((j) => j.id).sort((a, b) => a - b)
  if (claimed.join() !== [...ids].sort((a, b) => a - b).join()) throw new Error(`claimed ${claimed.join()} instead of ${ids.join()}`)
  await store.settle(
    ids.map((id) => failed(id, { ...error(id), retryable: false, endedAt: now + 100 })),
    OWNER,
  )
}
