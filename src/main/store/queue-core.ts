/**
 * The queue core every store implements: enqueue, claim, settle, leases, stall recovery,
 * counts, an operator's moves on one job, retention and change detection. Picked from
 * QueueStore (queue/store.ts), so the SQLite store already satisfies it; the PostgreSQL store
 * (store/postgres) implements it, and the conformance suite (test/store/conformance) holds
 * both to the same behaviour.
 */
import type { QueueStore } from '../queue/store'

export type QueueCore = Pick<
  QueueStore,
  | 'enqueue'
  | 'claim'
  | 'settle'
  | 'extendLeases'
  | 'leaseOwners'
  | 'recoverStalled'
  | 'lostLeases'
  | 'stats'
  | 'get'
  | 'cancel'
  | 'retry'
  | 'remove'
  | 'clean'
  | 'applyRetention'
  | 'setPaused'
  | 'isPaused'
  | 'externalVersion'
  | 'close'
>
