/**
 * Opening the store an engine or a CLI works on: the SQLite file in the data directory (the
 * desktop app's home, zero set-up), or a team's queue on PostgreSQL when a URL is given
 * (`--store`, GENOPS_STORE or settings.json). Callers get the queue store's interfaces and
 * never learn which store they have (issue 15: the storage wing).
 */
import { databaseFile } from '../paths'
import type { ProviderBatchStore } from '../provider-batches/store'
import type { LoadProgress, QueueStore } from '../queue/store'

export interface StoreTarget {
  dataDir: string
  /** A team's queue on PostgreSQL (postgres://…); absent, the SQLite file in dataDir. */
  url?: string | undefined
  /** better-sqlite3's native module built for another runtime (the desktop app's Electron ABI). */
  nativeBinding?: string | undefined
}

/** The store as opened, with what only some stores add: a big load's progress (SQLite's loads in slices), the batch lane's rows. */
export type OpenedStore = QueueStore & {
  /** Told after each slice of a load in slices, when the store loads in slices. */
  loadProgress?: ((progress: LoadProgress) => void) | undefined
  /** The batch lane's provider batches; absent, the store keeps no batch lane and batch-lane jobs are refused at intake. */
  readonly providerBatches?: ProviderBatchStore | undefined
}

/** Each store's code is loaded only when it is opened: a CLI on the SQLite file never loads pg, and the other way round. */
export async function openStore({ dataDir, url, nativeBinding }: StoreTarget): Promise<OpenedStore> {
  if (url !== undefined) {
    const { PostgresQueueStore } = await import('./postgres')
    return PostgresQueueStore.open(url)
  }
  const { SqliteQueueStore } = await import('./sqlite/queue')
  return SqliteQueueStore.open(databaseFile(dataDir), nativeBinding === undefined ? {} : { nativeBinding })
}
