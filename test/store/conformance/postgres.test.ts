/** The queue core's conformance suite on PostgreSQL: a fresh database per test on the server the harness finds or starts (test/support/postgres.ts). */
import { describe } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { lifecycleConformance } from './lifecycle'
import { operationsConformance } from './operations'
import type { StoreFactory } from './harness'

const server = await postgresServer()

const postgres: StoreFactory = async () => {
  const url = await server!.freshDatabase()
  return { store: await PostgresQueueStore.open(url), another: () => PostgresQueueStore.open(url) }
}

describe.skipIf(!server)(`queue core on ${server?.name ?? 'PostgreSQL'}`, () => {
  lifecycleConformance(postgres)
  operationsConformance(postgres)
})
