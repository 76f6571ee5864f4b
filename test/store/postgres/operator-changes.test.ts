/**
 * QueueStore.externalVersion "changes whenever another connection commits" (SQLite's
 * data_version). An engine rereads the queue's pause, provider pauses, batch caps and pauses,
 * profiles and breaker commands only when it moves (scheduler.poll), so on PostgreSQL an
 * operator's change from the CLI or another engine must be announced (migration 0003), not
 * only the queue's transitions. Found by a hostile read: before, none of these moved it.
 */
import { describe, expect, it } from 'vitest'
import type { QueueStore } from '../../../src/main/queue/store'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { postgresServer } from '../../support/postgres'
import { T0, job } from '../conformance/harness'

const server = await postgresServer()
const settle = () => new Promise((resolve) => setTimeout(resolve, 300))

const changes: [string, (cli: QueueStore, batchId: number) => Promise<unknown>][] = [
  // The control: a queue transition is announced (this one passes).
  ['jobs enqueued (control)', (cli) => Promise.resolve(cli.enqueue([job('b')], 'c', T0))],
  ['the queue paused', (cli) => Promise.resolve(cli.setPaused(true))],
  ['a provider paused', (cli) => Promise.resolve(cli.pauseProvider('openai', 'operator', T0))],
  ['a batch paused', (cli, batchId) => Promise.resolve(cli.pauseBatch(batchId, 'operator', T0))],
  ['a batch capped', (cli, batchId) => Promise.resolve(cli.setBatchLimit(batchId, 1))],
  [
    'a breaker forced open',
    (cli) =>
      Promise.resolve(
        cli.recordBreakerEvent({ breaker: 'openai', at: T0, from: 'closed', to: 'open', openUntil: T0 + 60_000, reason: 'operator', owner: 'cli' }),
      ),
  ],
]

describe.skipIf(!server)('changes another connection commits, seen by a running engine', () => {
  for (const [what, change] of changes) {
    it(`moves externalVersion: ${what}`, async () => {
      const url = await server!.freshDatabase()
      const engine = await PostgresQueueStore.open(url)
      const cli = await PostgresQueueStore.open(url)
      try {
        const { batchId } = await engine.enqueue([job('a')], 'b', T0)
        const before = await engine.externalVersion()
        await change(cli as unknown as QueueStore, batchId)
        await settle()
        expect(await engine.externalVersion()).not.toBe(before)
      } finally {
        await cli.close()
        await engine.close()
      }
    })
  }
})
