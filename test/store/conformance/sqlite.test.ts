/** The queue core's conformance suite on the SQLite store: a real file in a temp directory, a second connection to it as the CLI opens one. */
import { join } from 'node:path'
import { describe } from 'vitest'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import { tempDir } from '../../support/temp'
import { lifecycleConformance } from './lifecycle'
import { operationsConformance } from './operations'
import type { StoreFactory } from './harness'

const sqlite: StoreFactory = async () => {
  const file = join(tempDir(), 'genops.db')
  return { store: SqliteQueueStore.open(file), another: async () => SqliteQueueStore.open(file) }
}

describe('queue core on SQLite', () => {
  lifecycleConformance(sqlite)
  operationsConformance(sqlite)
})
