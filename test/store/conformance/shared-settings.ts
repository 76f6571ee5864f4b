/** Settings every process on a queue shares, on any store: set by one connection, read by another, removed (`genops settings unset`). */
import { expect, it } from 'vitest'
import { freshStore, type StoreFactory } from './harness'
import { type EngineStateStore } from './engine-stores'

export function sharedSettingsConformance(factory: StoreFactory<EngineStateStore>): void {
  it('sets, replaces and removes shared settings, seen by another connection, as JSON values', async () => {
    const { store, another } = await freshStore(factory)
    expect(await store.sharedSettings()).toEqual(new Map())
    await store.setSharedSetting('backoff.baseMs', 5000)
    await store.setSharedSetting('breaker', { window: 40, failureRatio: 0.5 })
    await store.setSharedSetting('retention.completed', null)
    const other = await another()
    expect(await other.sharedSettings()).toEqual(
      new Map<string, unknown>([
        ['backoff.baseMs', 5000],
        ['breaker', { window: 40, failureRatio: 0.5 }],
        ['retention.completed', null],
      ]),
    )
    await other.setSharedSetting('backoff.baseMs', 250)
    await other.setSharedSetting('breaker', undefined)
    expect(await store.sharedSettings()).toEqual(
      new Map<string, unknown>([
        ['backoff.baseMs', 250],
        ['retention.completed', null],
      ]),
    )
  })

  it('removing a setting it does not hold is no error and leaves the others', async () => {
    const { store } = await freshStore(factory)
    await store.setSharedSetting('cache.enabled', false)
    await store.setSharedSetting('backoff.baseMs', 100)
    await store.setSharedSetting('backoff.maxMs', undefined)
    await store.setSharedSetting('cache.enabled', undefined)
    await store.setSharedSetting('cache.enabled', undefined)
    expect(await store.sharedSettings()).toEqual(new Map([['backoff.baseMs', 100]]))
  })
}
