/**
 * The engines working the queue as the Workers panel and `genops workers` show them: each
 * stored worker's state read from its last beat and, on this machine, whether its process
 * still exists; and the operation that lists them. An engine registers, beats and stops
 * through `startWorkerBeat` (engine.ts).
 */
import { hostname } from 'node:os'
import { WORKER_BEAT_MS, WORKER_SILENT_AFTER_MS, type WorkerInfo, type WorkerState } from '../shared/workers'
import { ownerIsGone } from './queue/lease-owner'
import type { QueueStore } from './queue/store'
import { genopsVersion } from './telemetry/version'
import type { StoredWorker, WorkerStore } from './store/workers'

/** Workers stopped or silent this long ago are forgotten (at each engine's start). */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000
/** Stopped workers are listed for an hour: a `genops run` every minute from cron would otherwise fill the panel. */
const STOPPED_SHOWN_MS = 60 * 60 * 1000

export function workerState(worker: StoredWorker, now: number, isGone: (owner: string) => boolean = ownerIsGone): WorkerState {
  if (worker.stoppedAt !== null) return 'stopped'
  const quietFor = now - worker.heartbeatAt
  // A crash or kill -9 on this machine shows within two beats. Only once it has missed them: an engine that shares the
  // hostname but not the process ids (a container on the host's network, WSL) beats on while its pid is not ours to see.
  if (quietFor > 2 * WORKER_BEAT_MS && isGone(worker.owner)) return 'gone'
  return quietFor > WORKER_SILENT_AFTER_MS ? 'silent' : 'running'
}

/**
 * An engine silent this long is taken for dead wherever it runs. Long, because what follows is
 * costly if it lives (the batch lane sends again the lines of an upload it left half-done), and
 * its heartbeat is a timer of its own, not held up by a long upload.
 */
export const GIVEN_UP_AFTER_MS = 10 * 60 * 1000

/**
 * Which lease owners are gone as far as this engine can tell, for work they hold `since` (a
 * provider batch they began uploading): a process of this machine that no longer exists; an
 * engine of any machine silent for GIVEN_UP_AFTER_MS (another machine's kill -9, which the
 * process table here cannot show); or one no longer beating at all (stopped, or forgotten
 * after a day's silence) when the work is older than that. The workers are read at most once
 * every `everyMs`.
 */
export function goneOwners(workers: Pick<WorkerStore, 'beating'>, everyMs: number): () => Promise<(owner: string, since: number) => boolean> {
  let read: { at: number; beats: ReadonlyMap<string, number> } | undefined
  return async () => {
    const now = Date.now()
    if (!read || now - read.at >= everyMs) read = { at: now, beats: new Map((await workers.beating()).map((w) => [w.owner, w.heartbeatAt])) }
    const { beats } = read
    return (owner, since) => ownerIsGone(owner) || now - (beats.get(owner) ?? since) > GIVEN_UP_AFTER_MS
  }
}

export async function listWorkers(store: QueueStore, self: string | null, now = Date.now()): Promise<WorkerInfo[]> {
  return (await store.workers.list(now - STOPPED_SHOWN_MS)).map((worker) => ({ ...worker, state: workerState(worker, now), self: worker.owner === self }))
}

/** An engine's place on the Workers panel: registered now, a beat every few seconds, marked stopped at close. */
export function startWorkerBeat(store: QueueStore, owner: string, onError: (error: unknown, during: string) => void): { stop(): Promise<void> } {
  const startedAt = Date.now()
  const worker = { owner, host: hostname(), pid: process.pid, version: genopsVersion() }
  // A beat refused (a full disk, a busy store) is said and tried again at the next: never a reason for the engine not to run.
  const beat = (): Promise<void> =>
    Promise.resolve()
      .then(() => store.workers.beat(worker, startedAt, Date.now()))
      .catch((error: unknown) => onError(error, 'the worker heartbeat'))
  void Promise.resolve()
    .then(() => store.workers.prune(startedAt - FORGET_AFTER_MS))
    .catch((error: unknown) => onError(error, 'forgetting old workers'))
  let beating = beat()
  const timer = setInterval(() => (beating = beat()), WORKER_BEAT_MS)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      // A beat still on its way (a store that answers later) lands before the stop, never after it.
      await beating
      await store.workers.stopped(owner, Date.now())
    },
  }
}
