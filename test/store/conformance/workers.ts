/**
 * The workers port on any store (store/workers.ts), as test/queue/workers.test.ts checks it on
 * SQLite: engines beat and stop, their claims are the jobs active under their lease, a
 * stopped one stays stopped, and old rows are forgotten.
 */
import { expect, it } from 'vitest'
import { job, T0, freshStore, type StoreFactory } from './harness'
import { type EngineStateStore } from './engine-stores'

const A = { owner: 'host-a:101:aaaaaaaa', host: 'host-a', pid: 101, version: '1.2.3' }
const B = { owner: 'host-b:202:bbbbbbbb', host: 'host-b', pid: 202, version: '1.2.4' }

export function workersConformance(factory: StoreFactory<EngineStateStore>): void {
  it('lists each engine with the jobs it holds, newest first, whichever connection beat', async () => {
    const { store, another } = await freshStore(factory)
    const other = await another()
    await store.workers.beat(A, T0, T0)
    await other.workers.beat(B, T0 + 1, T0 + 1)
    await store.enqueue([job('one'), job('two'), job('three')], 'w', T0)
    await store.claim({ owner: A.owner, limit: 2, now: T0 + 2, leaseMs: 60_000 })
    expect(await other.workers.list(0)).toEqual([
      { ...B, startedAt: T0 + 1, heartbeatAt: T0 + 1, stoppedAt: null, claims: 0 },
      { ...A, startedAt: T0, heartbeatAt: T0, stoppedAt: null, claims: 2 },
    ])
  })

  it('moves the heartbeat on each beat, and a beat after the stop does not bring a worker back', async () => {
    const { store } = await freshStore(factory)
    await store.workers.beat(A, T0, T0)
    await store.workers.beat(A, T0, T0 + 5_000)
    expect(await store.workers.list(0)).toEqual([expect.objectContaining({ owner: A.owner, startedAt: T0, heartbeatAt: T0 + 5_000, stoppedAt: null })])
    await store.workers.stopped(A.owner, T0 + 60_000)
    await store.workers.beat(A, T0, T0 + 61_000)
    expect(await store.workers.list(0)).toEqual([expect.objectContaining({ owner: A.owner, stoppedAt: T0 + 60_000, heartbeatAt: T0 + 60_000 })])
  })

  it('lists stopped workers for a while, and forgets workers stopped or silent before the cut-off', async () => {
    const { store } = await freshStore(factory)
    await store.workers.beat(A, T0, T0)
    await store.workers.beat(B, T0, T0)
    await store.workers.stopped(A.owner, T0 + 10)
    await store.workers.beat(B, T0, T0 + 1_000)
    // The same start: by owner.
    expect((await store.workers.list(T0)).map((worker) => worker.owner)).toEqual([A.owner, B.owner])
    expect((await store.workers.list(T0 + 11)).map((worker) => worker.owner)).toEqual([B.owner])
    expect(await store.workers.prune(T0 + 500)).toBe(1)
    expect(await store.workers.prune(T0 + 500)).toBe(0)
    expect(await store.workers.list(0)).toEqual([{ ...B, startedAt: T0, heartbeatAt: T0 + 1_000, stoppedAt: null, claims: 0 }])
  })
}
