/**
 * The contract's batch operations, spread into createHandlers (operations.ts): the batches
 * with their progress, one in detail, its results exported beside its inputs, two runs
 * compared, a run again with changes, and a cancel of all its open jobs. Cancels go through
 * the contract's own cancelJobs, so a running attempt is stopped as a single cancel stops it.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { OperationError, type OperationHandlers, type OperationInput, type OperationName, type OperationOutput } from '../../shared/contract'
import { MAX_BULK } from '../../shared/job-list'
import { PRIVATE_DIR_MODE } from '../paths'
import type { QueueStore } from '../queue/store'
import { compareBatches } from './compare'
import { defaultExportName, writeBatchExport } from './export/write-export'
import { rerunBatch } from './rerun'

export type BatchOperation = 'listBatches' | 'getBatch' | 'exportBatch' | 'compareBatches' | 'rerunBatch' | 'cancelBatch'

type Call = <K extends OperationName>(name: K, input: OperationInput<K>) => Promise<OperationOutput<K>>

export interface BatchesRuntime {
  /** The data directory of a running engine: the window's exports go to its exports/ folder. */
  dataDir: string | undefined
  countsMayChange(): void
  kick(): void
}

/** Where the window's exports are written, and served from (GET /api/exports/<file> in headless mode). */
export const exportsDir = (dataDir: string): string => join(dataDir, 'exports')

/** A name the exports folder may hold: what the download route accepts, nothing with a path in it. */
export const EXPORT_FILE_NAME = /^[\w][\w.-]{0,200}$/

export function batchHandlers(store: QueueStore, runtime: BatchesRuntime, call: Call): OperationHandlers<BatchOperation> {
  const now = () => Date.now()
  return {
    listBatches: async ({ beforeId, limit }) => ({ batches: await store.batches.list({ beforeId, limit }, now()) }),
    getBatch: async ({ batchId }) => {
      const batch = await store.batches.get(batchId, now())
      if (batch === null) throw new OperationError('NOT_FOUND', `batch ${batchId} does not exist`)
      return batch
    },
    exportBatch: async ({ batchId, format }) => {
      const sources = await store.batches.sources(batchId)
      if (sources === null) throw new OperationError('NOT_FOUND', `batch ${batchId} does not exist`)
      if (runtime.dataDir === undefined)
        throw new OperationError('NOT_FOUND', 'exports to the exports folder are made by a running engine: use `genops export`')
      const dir = exportsDir(runtime.dataDir)
      await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
      // The batch's id first: two batches of one file, or one exported twice a second apart, never take each other's file.
      const file = `batch-${batchId}-${Date.now()}-${defaultExportName(
        batchId,
        sources.map((source) => source.name),
        format,
      )}`
      const path = join(dir, file)
      const written = await writeBatchExport(store.batches, { batchId, format, path })
      return { batchId, format, file, path, ...written }
    },
    compareBatches: async (query) => compareBatches(store.batches, query),
    rerunBatch: async (input) => {
      const result = await rerunBatch(store, input, now())
      if (result.batchId !== null) {
        runtime.countsMayChange()
        runtime.kick()
      }
      return result
    },
    cancelBatch: async ({ batchId }) => {
      if ((await store.batches.sources(batchId)) === null) throw new OperationError('NOT_FOUND', `batch ${batchId} does not exist`)
      let cancelled = 0
      let after = 0
      for (;;) {
        const ids = await store.batches.openJobIds(batchId, after, MAX_BULK)
        if (ids.length === 0) break
        cancelled += (await call('cancelJobs', { ids })).done.length
        after = ids.at(-1)!
      }
      return { cancelled }
    },
  }
}
