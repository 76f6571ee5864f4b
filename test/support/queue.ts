/** A real SQLite queue in a temp directory, and helpers that read it back for assertions. */
import { join } from 'node:path'
import { afterEach, expect } from 'vitest'
import type { StoredState } from '../../src/shared/jobs'
import { toNewJob } from '../../src/main/operations'
import type { NewJob } from '../../src/main/queue/store'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempDir } from './temp'

const open: SqliteQueueStore[] = []
afterEach(() => {
  for (const store of open.splice(0)) if (store.db.open) store.db.close()
})

export function tempStore(): SqliteQueueStore {
  const store = SqliteQueueStore.open(join(tempDir(), 'genops.db'))
  open.push(store)
  return store
}

export const T0 = 1_800_000_000_000

export function job(prompt: string, overrides: Partial<NewJob> = {}): NewJob {
  return { ...toNewJob({ prompt }, {}, T0), ...overrides }
}

/** The maintained counters must always equal a real count of the table. */
export function expectCountsAgree(store: SqliteQueueStore): void {
  const real = Object.fromEntries(
    (store.db.prepare('SELECT state, count(*) AS n FROM jobs GROUP BY state').all() as { state: StoredState; n: number }[]).map((r) => [r.state, r.n]),
  )
  const kept = Object.fromEntries(
    (store.db.prepare('SELECT state, n FROM job_counts WHERE n != 0').all() as { state: string; n: number }[]).map((r) => [r.state, r.n]),
  )
  expect(kept).toEqual(real)
  // Each batch's counts too: the claim and the settle keep them without the triggers (state-moves.ts), every other path with them.
  const byBatch = (query: string) =>
    (store.db.prepare(query).all() as { batch_id: number; state: string; n: number }[]).map((r) => `${r.batch_id} ${r.state} ${r.n}`).sort()
  expect(byBatch('SELECT batch_id, state, n FROM batch_counts WHERE n != 0')).toEqual(
    byBatch('SELECT batch_id, state, count(*) AS n FROM jobs WHERE batch_id IS NOT NULL GROUP BY batch_id, state'),
  )
}

export function eventsOf(store: SqliteQueueStore, id: number): string[] {
  return (
    store.db.prepare('SELECT from_state, to_state FROM job_events WHERE job_id = ? ORDER BY id').all(id) as { from_state: string; to_state: string }[]
  ).map((e) => `${e.from_state}>${e.to_state}`)
}

export function row(store: SqliteQueueStore, id: number): Record<string, unknown> {
  return store.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as Record<string, unknown>
}
