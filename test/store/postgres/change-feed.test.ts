/** LISTEN/NOTIFY: a store is told when another engine's store (its own pool) enqueues or settles, and not of its own changes. */
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { ChangeKind } from '../../../src/main/store/postgres/counts'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { waitFor } from '../../support/wait'
import { job, OWNER, T0 } from '../conformance/harness'

const server = await postgresServer()

describe.skipIf(!server)('change notices between engines', () => {
  it('tells a subscriber what another engine committed, after it committed', async () => {
    const url = await server!.freshDatabase()
    const watcher = await PostgresQueueStore.open(url)
    const engine = await PostgresQueueStore.open(url)
    try {
      const heard: ChangeKind[] = []
      const stop = watcher.onExternalChange((what) => heard.push(what))
      // The watcher's own change comes first: had it been heard, it would lead the list.
      await watcher.enqueue([job('own')], 'own', T0)
      await engine.enqueue([job('theirs')], 'theirs', T0)
      await waitFor(
        () => heard.length,
        (n) => n >= 1,
        { what: 'the enqueue notice' },
      )
      const { jobs } = await engine.claim({ owner: OWNER, limit: 1, now: T0 + 1, leaseMs: 1000 })
      expect(jobs).toHaveLength(1)
      await engine.settle([{ id: jobs[0]!.id, outcome: 'ok', endedAt: T0 + 2, output: 'x', inputTokens: null, outputTokens: null }], OWNER)
      await waitFor(
        () => heard.length,
        (n) => n >= 2,
        { what: 'the settle notice' },
      )
      expect(heard).toEqual(['enqueued', 'settled'])
      stop()
      await engine.enqueue([job('after')], 'after', T0)
      await waitFor(
        () => watcher.externalVersion(),
        (v) => v >= 3,
        { what: 'the version to move' },
      )
      expect(heard).toHaveLength(2)
    } finally {
      await watcher.close()
      await engine.close()
    }
  })

  it('listens again after its connection is cut, and hears what is committed after', async () => {
    const url = await server!.freshDatabase()
    const watcher = await PostgresQueueStore.open(url)
    const engine = await PostgresQueueStore.open(url)
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    try {
      const heard: ChangeKind[] = []
      watcher.onExternalChange((what) => heard.push(what))
      const listening = async () =>
        (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`)).rows
      const before = await waitFor(listening, (rows) => rows.length === 2, { what: 'both stores listening' })
      // Cut both listening connections: the watcher's among them, whichever it is.
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before.map((row) => row.pid)])
      const cut = new Set(before.map((row) => row.pid))
      await waitFor(listening, (rows) => rows.length === 2 && !rows.some((row) => cut.has(row.pid)), { what: 'both stores to listen again' })
      heard.length = 0
      await engine.enqueue([job('after the cut')], 'b', T0)
      await waitFor(
        () => heard,
        (list) => list.includes('enqueued'),
        { what: 'the notice after the cut' },
      )
    } finally {
      await admin.end()
      await watcher.close()
      await engine.close()
    }
  })
})
