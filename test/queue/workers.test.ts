/**
 * The workers a store keeps (src/main/workers.ts): an engine registers, beats and stops; its
 * claims are the jobs active under its lease; its state is read from its last beat, or, on
 * this machine, from whether its process still exists; old rows are forgotten.
 */
import { describe, expect, it } from 'vitest'
import { WORKER_BEAT_MS, WORKER_SILENT_AFTER_MS } from '../../src/shared/workers'
import { listWorkers, workerState } from '../../src/main/workers'
import { job, T0, tempStore } from '../support/queue'

const A = { owner: 'host-a:101:aaaaaaaa', host: 'host-a', pid: 101, version: '1.2.3' }
const B = { owner: 'host-b:202:bbbbbbbb', host: 'host-b', pid: 202, version: '1.2.4' }

describe('the workers of a store', () => {
  it('lists each engine with the jobs it holds, newest first, and which one asks', async () => {
    const store = tempStore()
    store.workers.beat(A, T0, T0)
    store.workers.beat(B, T0 + 1, T0 + 1)
    store.enqueue([job('one'), job('two'), job('three')], 'w', T0)
    store.claim({ owner: A.owner, limit: 2, now: T0 + 2, leaseMs: 60_000 })
    const workers = await listWorkers(store, B.owner, T0 + 3)
    expect(workers.map(({ owner, claims, self, state, version }) => ({ owner, claims, self, state, version }))).toEqual([
      { owner: B.owner, claims: 0, self: true, state: 'running', version: '1.2.4' },
      { owner: A.owner, claims: 2, self: false, state: 'running', version: '1.2.3' },
    ])
  })

  it('reads a worker as silent without beats, stopped once it says so, gone when its process is', () => {
    const store = tempStore()
    store.workers.beat(A, T0, T0)
    const [stored] = store.workers.list(0)
    const never = () => false
    expect(workerState(stored!, T0 + WORKER_SILENT_AFTER_MS, never)).toBe('running')
    expect(workerState(stored!, T0 + WORKER_SILENT_AFTER_MS + 1, never)).toBe('silent')
    store.workers.beat(A, T0, T0 + WORKER_SILENT_AFTER_MS)
    expect(workerState(store.workers.list(0)[0]!, T0 + WORKER_SILENT_AFTER_MS + 1, never)).toBe('running')
    // Its process missing here reads as gone once it missed two beats, not before: an engine in a container on this
    // host's network has our hostname but not our process ids, and beats on.
    const missing = (owner: string) => owner === A.owner
    expect(workerState(store.workers.list(0)[0]!, T0 + WORKER_SILENT_AFTER_MS, missing)).toBe('running')
    expect(workerState(store.workers.list(0)[0]!, T0 + WORKER_SILENT_AFTER_MS + 2 * WORKER_BEAT_MS + 1, missing)).toBe('gone')
    store.workers.stopped(A.owner, T0 + 60_000)
    // A beat after the stop (a timer that fired late) does not bring it back.
    store.workers.beat(A, T0, T0 + 61_000)
    const [stopped] = store.workers.list(0)
    expect(stopped).toMatchObject({ stoppedAt: T0 + 60_000, heartbeatAt: T0 + 60_000 })
    expect(workerState(stopped!, T0 + 61_000, () => true)).toBe('stopped')
  })

  it('lists stopped workers for a while, and forgets workers stopped or silent before the cut-off', () => {
    const store = tempStore()
    store.workers.beat(A, T0, T0)
    store.workers.beat(B, T0, T0)
    store.workers.stopped(A.owner, T0 + 10)
    store.workers.beat(B, T0, T0 + 1_000)
    // A stopped worker is listed for a while, then only the running ones.
    expect(store.workers.list(T0).map((worker) => worker.owner)).toEqual([A.owner, B.owner].sort())
    expect(store.workers.list(T0 + 11).map((worker) => worker.owner)).toEqual([B.owner])
    expect(store.workers.prune(T0 + 500)).toBe(1)
    expect(store.workers.list(0)).toEqual([expect.objectContaining({ owner: B.owner, startedAt: T0, heartbeatAt: T0 + 1_000, stoppedAt: null })])
  })
})
