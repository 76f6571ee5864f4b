/**
 * What the conformance suite needs from a store under test: a fresh one per test, and a
 * second connection to the same store (another engine, the CLI). Helpers read back through
 * the store's own interface only, never its SQL, so the same assertions hold every backend.
 */
import { join } from 'node:path'
import { expect, onTestFinished } from 'vitest'
import type { JobChange } from '../../../src/shared/contract'
import type { JobState } from '../../../src/shared/jobs'
import type { QueueCore } from '../../../src/main/store/queue-core'
import type { AttemptResult, NewJob } from '../../../src/main/queue/store'
import { toNewJob } from '../../../src/main/queue/new-job'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { SqliteQueueStore } from '../../../src/main/store/sqlite/queue'
import type { PostgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

/** A store as a suite uses it: at least what every store can close. */
interface Closable {
  close(): unknown
}

export interface StoreUnderTest<S extends Closable = QueueCore> {
  store: S
  /** Another connection to the same store, closed with the test. */
  another(): Promise<S>
}

/** Opens a fresh, empty store; the suite closes what it opens when each test ends. */
export type StoreFactory<S extends Closable = QueueCore> = () => Promise<StoreUnderTest<S>>

export const T0 = 1_800_000_000_000
export const OWNER = 'test-host:1:owner'
export const OTHER = 'test-host:2:other'
export const LEASE = 30_000

export function job(prompt: string, overrides: Partial<NewJob> = {}): NewJob {
  return { ...toNewJob({ prompt }, {}, T0), ...overrides }
}

/** A fresh store for this test; it and every other connection opened to it are closed when the test ends. */
export async function freshStore<S extends Closable>(factory: StoreFactory<S>): Promise<StoreUnderTest<S>> {
  const opened = await factory()
  const closing: S[] = [opened.store]
  onTestFinished(async () => {
    for (const store of closing) await store.close()
  })
  return {
    store: opened.store,
    async another() {
      const store = await opened.another()
      closing.push(store)
      return store
    },
  }
}

/** The whole SQLite store on a file in a temp directory; another connection opens the same file. */
export const sqliteStores: StoreFactory<SqliteQueueStore> = async () => {
  const file = join(tempDir(), 'genops.db')
  return { store: SqliteQueueStore.open(file), another: async () => SqliteQueueStore.open(file) }
}

/** The whole PostgreSQL store on a fresh database of the test's server; another connection opens the same database. */
export function postgresStores(server: PostgresServer | null): StoreFactory<PostgresQueueStore> {
  return async () => {
    const url = await server!.freshDatabase()
    return { store: await PostgresQueueStore.open(url), another: () => PostgresQueueStore.open(url) }
  }
}

export function claim(store: QueueCore, now = T0, limit = 10, owner = OWNER) {
  return Promise.resolve(store.claim({ owner, limit, now, leaseMs: LEASE }))
}

/**
 * The owner stops beating and its leases run out: a heartbeat that asks for a lease ending now. A later `now` given to
 * recoverStalled is not enough: the PostgreSQL store judges leases by the server's clock, which a test's T0 does not move.
 */
export async function leasesRunOut(store: Pick<QueueCore, 'extendLeases'>, owner = OWNER): Promise<void> {
  await store.extendLeases(owner, Date.now() - 1)
}

export function ok(id: number, endedAt = T0 + 100, output = `out ${id}`): Extract<AttemptResult, { outcome: 'ok' }> {
  return { id, outcome: 'ok', endedAt, output, inputTokens: 3, outputTokens: 5 }
}

export function failed(id: number, overrides: Partial<Extract<AttemptResult, { outcome: 'error' }>> = {}): AttemptResult {
  return { id, outcome: 'error', endedAt: T0 + 100, category: 'SERVICE_UNAVAILABLE', message: 'HTTP 503', retryable: true, retryAt: T0 + 5_000, ...overrides }
}

/** The counts as shown, the states not named being 0. */
export async function expectCounts(store: QueueCore, now: number, expected: Partial<Record<JobState, number>>): Promise<void> {
  const zero = { queued: 0, delayed: 0, submitted: 0, active: 0, completed: 0, dead: 0, cancelled: 0 }
  expect((await store.stats(now)).counts).toEqual({ ...zero, ...expected })
}

/** A job's transitions as "from>to", oldest first. */
export async function eventsOf(store: QueueCore, id: number, now = T0): Promise<string[]> {
  const detail = await store.get(id, now)
  return detail!.events.map((event) => `${event.from}>${event.to}`)
}

/** The error a call throws or rejects with (the SQLite store throws, the PostgreSQL store rejects). */
export async function failureOf(call: () => unknown): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

export function states(changes: JobChange[]): string[] {
  return changes.map((change) => `${change.id}:${change.state}`)
}
