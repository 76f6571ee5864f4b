/** Every conformance suite on the SQLite store: a real file in a temp directory per test. */
import { describe } from 'vitest'
import { alertsConformance } from './alerts'
import { batchStoreConformance } from './batch-store'
import { breakerEventsConformance } from './breaker-events'
import { cacheConformance } from './cache'
import { costsConformance } from './costs'
import { deadLettersConformance } from './dead-letters'
import { gatedClaimConformance } from './gated-claim'
import { sqliteStores } from './harness'
import { lifecycleConformance } from './lifecycle'
import { metricsConformance } from './metrics'
import { operationsConformance } from './operations'
import { profilesConformance } from './profiles'
import { providerBatchesConformance } from './provider-batches'
import { readsConformance } from './reads'
import { sharedSettingsConformance } from './shared-settings'
import { sideRowsConformance, type SideRowsFactory } from './side-rows'
import { workersConformance } from './workers'

const sqliteStore = async () => (await sqliteStores()).store
/** The side rows are read back with SQL both stores answer alike: most have no read in the interface. */
const sqliteWithReads: SideRowsFactory = async () => {
  const { store } = await sqliteStores()
  return { store, read: async (query) => store.db.prepare(query).all() as Record<string, unknown>[], close: async () => store.close() }
}

describe('the SQLite store', () => {
  describe('queue core', () => {
    lifecycleConformance(sqliteStores)
    operationsConformance(sqliteStores)
  })
  describe('the gated claim', () => gatedClaimConformance(sqliteStores))
  describe('reads', () => {
    readsConformance(sqliteStore)
    deadLettersConformance(sqliteStore)
    batchStoreConformance(sqliteStore)
  })
  describe('side rows', () => sideRowsConformance(sqliteWithReads))
  describe('costs', () => costsConformance(sqliteStores))
  describe('alerts', () => alertsConformance(sqliteStores))
  describe('response cache', () => cacheConformance(sqliteStores))
  describe('metrics', () => metricsConformance(sqliteStores))
  describe('profiles', () => profilesConformance(sqliteStores))
  describe('breaker events', () => breakerEventsConformance(sqliteStores))
  describe('shared settings', () => sharedSettingsConformance(sqliteStores))
  describe('workers', () => workersConformance(sqliteStores))
  describe('the batch lane', () => providerBatchesConformance(sqliteStores))
})
