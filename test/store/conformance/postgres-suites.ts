/**
 * Every conformance suite on the PostgreSQL store, on a server the caller brings: a fresh
 * database per test (test/support/postgres.ts). The suites with PostgreSQL-only cases beside
 * them (the gated claim, the side rows) register in files of their own.
 */
import { describe } from 'vitest'
import type { PostgresServer } from '../../support/postgres'
import { alertsConformance } from './alerts'
import { batchStoreConformance } from './batch-store'
import { breakerEventsConformance } from './breaker-events'
import { cacheConformance } from './cache'
import { costsConformance } from './costs'
import { deadLettersConformance } from './dead-letters'
import { postgresStores } from './harness'
import { lifecycleConformance } from './lifecycle'
import { metricsConformance } from './metrics'
import { operationsConformance } from './operations'
import { profilesConformance } from './profiles'
import { providerBatchesConformance } from './provider-batches'
import { readsConformance } from './reads'
import { sharedSettingsConformance } from './shared-settings'
import { workersConformance } from './workers'

/** Registers the suites; none when `server` is null (no server outside CI: postgresServer said why). */
export function postgresConformance(server: PostgresServer | null): void {
  const postgres = postgresStores(server)
  const postgresStore = async () => (await postgres()).store
  describe.skipIf(!server)(`the PostgreSQL store on ${server?.name ?? 'PostgreSQL'}`, () => {
    describe('queue core', () => {
      lifecycleConformance(postgres)
      operationsConformance(postgres)
    })
    describe('reads', () => {
      readsConformance(postgresStore)
      deadLettersConformance(postgresStore)
      batchStoreConformance(postgresStore)
    })
    describe('costs', () => costsConformance(postgres))
    describe('alerts', () => alertsConformance(postgres))
    describe('response cache', () => cacheConformance(postgres))
    describe('metrics', () => metricsConformance(postgres))
    describe('profiles', () => profilesConformance(postgres))
    describe('breaker events', () => breakerEventsConformance(postgres))
    describe('shared settings', () => sharedSettingsConformance(postgres))
    describe('workers', () => workersConformance(postgres))
    describe('the batch lane', () => providerBatchesConformance(postgres))
  })
}
