/** The workers port of a store (src/shared/workers.ts): engines register, beat, stop, and every process lists them. */
import type { WorkerInfo } from '../../shared/workers'

export interface WorkerIdentity {
  owner: string
  host: string
  pid: number
  version: string
}

/** A worker as the store keeps it; its state and claims are read with it. */
export type StoredWorker = Omit<WorkerInfo, 'state' | 'self'> & { stoppedAt: number | null }

type Awaitable<T> = T | Promise<T>

export interface WorkerStore {
  /** Registers the worker at its first beat (a beat refused, on a full disk, registers it at the next); a stopped one stays stopped. */
  beat(worker: WorkerIdentity, startedAt: number, now: number): Awaitable<void>
  stopped(owner: string, now: number): Awaitable<void>
  /** The workers not stopped, and those stopped since `stoppedSince`, newest first, with the jobs each holds now (at most 200). */
  list(stoppedSince: number): Awaitable<StoredWorker[]>
  /** Every worker not stopped, with its last beat, however many: whether a lease owner still beats (workers.ts goneOwners). */
  beating(): Awaitable<{ owner: string; heartbeatAt: number }[]>
  /** Forgets workers stopped, or silent, since before `before`; answers how many. */
  prune(before: number): Awaitable<number>
}
