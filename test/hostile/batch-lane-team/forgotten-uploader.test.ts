/**
 * An engine of another machine killed mid-upload leaves its provider batch preparing; an
 * engine on the team store must take it over once the dead engine has been silent long
 * enough (workers.ts goneOwners), or its jobs stay submitted, and their estimates reserved
 * against the budgets, for ever. Proves two ways the dead engine drops out of the workers
 * goneOwners reads, and is then never judged gone:
 *
 * - no engine ran for more than a day after the kill (a weekend): the first engine back
 *   forgets workers silent for a day (every engine's start prunes them);
 * - `genops run` from cron started more than 200 engines since the dead one started: the
 *   workers list goneOwners reads is the newest 200.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { GIVEN_UP_AFTER_MS } from '../../../src/main/workers'
import { job } from '../../store/conformance/harness'
import { closedAfterEach, FAST_LANE, KINDS, settledAll } from '../../provider-batches/support'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()
const opened = closedAfterEach()
const DAY = 24 * 60 * 60 * 1000
const OWNER = 'far-host:4242:0123abcd:4026531836'
const IDENTITY = { owner: OWNER, host: 'far-host', pid: 4242, version: 'test' }

/** What happened on the store between the kill and now; `killedAt` is the dead engine's last beat. */
const SINCE_THE_KILL = [
  {
    what: 'the dead engine’s worker row was pruned after a day with no engine',
    killedAt: (now: number) => now - 2 * DAY,
    async after(store: PostgresQueueStore, now: number) {
      // Monday: the first engine to start forgets workers silent for a day, as every engine's start does.
      expect(await store.workers.prune(now - DAY)).toBe(1)
    },
  },
  {
    what: '200 engines of `genops run` from cron started and stopped since the dead one started',
    killedAt: (now: number) => now - GIVEN_UP_AFTER_MS - 60_000,
    async after(store: PostgresQueueStore, now: number) {
      for (let i = 0; i < 200; i++) {
        const owner = `cron-host:${1000 + i}:abcdef01:4026531836`
        const startedAt = now - 2 * 60 * 60 * 1000 + i * 30_000
        await store.workers.beat({ owner, host: 'cron-host', pid: 1000 + i, version: 'test' }, startedAt, startedAt + 20_000)
        await store.workers.stopped(owner, startedAt + 20_000)
      }
    },
  },
]

describe.skipIf(!server)('an upload left half-done by a dead engine the workers list no longer shows', () => {
  it.each(SINCE_THE_KILL)('is taken over and its jobs completed when $what', { timeout: 60_000 }, async ({ killedAt, after }) => {
    const url = await server!.freshDatabase()
    const [kind] = KINDS
    const fake = opened(await kind!.start())
    const far = await PostgresQueueStore.open(url)
    onTestFinished(() => far.close())
    const now = Date.now()
    const killed = killedAt(now)
    await far.saveProfile({ name: 'batchy', provider: kind!.kind, baseUrl: fake.url, model: kind!.model }, now)
    // Due when the dead engine took them.
    const { jobIds } = await far.enqueue(
      ['x', 'y'].map((prompt) => job(prompt, { provider: 'batchy', runAt: killed - 1, config: { lane: 'batch' } })),
      'far',
      now,
    )
    // Killed mid-upload: its last beat, and its batch still preparing.
    await far.workers.beat(IDENTITY, now - 3 * DAY, killed)
    await far.providerBatches.take({
      provider: 'batchy',
      kind: kind!.kind,
      model: kind!.model,
      lines: jobIds.map((jobId) => ({ jobId, customId: `job-${jobId}-1` })),
      bytes: 10,
      deadlineAt: null,
      owner: OWNER,
      now: killed,
      leaseMs: 1,
      firstPollAt: killed,
    })
    await after(far, now)

    const engine: Engine = opened(
      await createEngine({ dataDir: tempDir(), store: url, threads: 1, pollMs: 20, artifacts: false, cache: { enabled: false }, batchLane: FAST_LANE }),
    )
    await settledAll(engine, 10_000)
    // The dead engine's batch given up (its lines sent back), and the jobs sent again in one of this engine's.
    expect((await far.get(jobIds[0]!, Date.now()))!.events.map((event) => event.to)).toEqual(['submitted', 'queued', 'submitted', 'completed'])
    const { jobs } = await engine.call('listJobs', { limit: 10 })
    expect(jobs.map((each) => each.state)).toEqual(['completed', 'completed'])
    expect(fake.book.linesUploaded).toBe(2)
  })
})
