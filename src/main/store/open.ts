/**
 * Opening the store an engine or a CLI works on: the SQLite file in the data directory (the
 * desktop app's home, zero set-up). Callers get the queue store's interfaces and never
 * learn which store they have (issue 15: the storage wing); a PostgreSQL URL is the team
 * store's, whose queue core is store/postgres and which engines do not run on yet.
 */
import { databaseFile } from '../paths'
import { SqliteQueueStore } from './sqlite/queue'
import type { QueueStore } from '../queue/store'

export interface StoreTarget {
  dataDir: string
  /** better-sqlite3's native module built for another runtime (the desktop app's Electron ABI). */
  nativeBinding?: string | undefined
}

/** The store a data directory holds, with what a local process adds to the queue's interfaces (a load's progress, the batch lane's rows, closing). */
export type LocalStore = QueueStore & Pick<SqliteQueueStore, 'close' | 'loadProgress' | 'removeAbandonedLoads' | 'providerBatches'>

export function openStore({ dataDir, nativeBinding }: StoreTarget): LocalStore {
  return SqliteQueueStore.open(databaseFile(dataDir), nativeBinding === undefined ? {} : { nativeBinding })
}
