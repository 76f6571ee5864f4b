/**
 * The batch lane on a team store: any engine on the PostgreSQL queue gathers batch-lane jobs
 * into a provider batch, and when the engine that uploaded it stops, another polls it to the
 * end. Nothing is uploaded twice, every job completes once, and a line whose job the operator
 * cancelled is billed as that job's attempt, once, in the rollups every engine reads. An upload
 * an engine of another machine left half-done (killed mid-upload) is taken over once that
 * engine has been silent long enough, never while it may still be sending.
 */
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createEngine, type Engine } from '../../../src/main/engine'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { GIVEN_UP_AFTER_MS } from '../../../src/main/workers'
import { job } from '../conformance/harness'
import { closedAfterEach, FAST_LANE, KINDS, saveBatchProfile, settledAll } from '../../provider-batches/support'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()
const opened = closedAfterEach()

const engineOn = async (url: string): Promise<Engine> =>
  opened(await createEngine({ dataDir: tempDir(), store: url, threads: 1, pollMs: 20, artifacts: false, cache: { enabled: false }, batchLane: FAST_LANE }))

function database(url: string) {
  const db = new pg.Pool({ connectionString: url, max: 1 })
  db.on('error', () => undefined)
  onTestFinished(() => db.end())
  return async <T extends pg.QueryResultRow>(text: string) => (await db.query<T>(text)).rows
}

describe.skipIf(!server)('the batch lane on a team store', () => {
  describe.each(KINDS)('on $kind', (kind) => {
    it('is uploaded by one engine and polled to the end by another when the first stops; nothing sent or counted twice', { timeout: 60_000 }, async () => {
      const url = await server!.freshDatabase()
      const rows = database(url)
      const fake = opened(await kind.start())
      fake.book.hold = true
      const first = await engineOn(url)
      await saveBatchProfile(first, kind, fake, { lane: 'batch' })
      // The profile's default lane sends these to the batch lane (a team store refused them before).
      await first.call('enqueueJobs', { jobs: ['a', 'b', 'c', 'd'].map((prompt) => ({ prompt, provider: 'batchy' })), batchName: 'team batch' })
      await waitFor(
        () => rows<{ state: string }>('SELECT state FROM provider_batches'),
        (batches) => batches.length === 1 && batches[0]!.state === 'sent',
        { what: 'the provider batch uploaded', timeoutMs: 10_000 },
      )
      const second = await engineOn(url)
      expect((await second.call('queueStats', {})).counts).toMatchObject({ submitted: 4, queued: 0, active: 0 })
      // The operator cancels one line's job from the other engine; the provider still answers it, and bills it.
      await second.call('cancelJob', { id: 4 })
      await first.close(2000)
      fake.book.hold = false
      await settledAll(second)
      await waitFor(
        () => rows<{ state: string }>('SELECT state FROM provider_batches'),
        (batches) => batches[0]!.state === 'settled',
        { what: 'the provider batch settled by the second engine', timeoutMs: 10_000 },
      )

      expect(fake.book.batches.size).toBe(1)
      expect(fake.book.linesUploaded).toBe(4)
      const { jobs } = await second.call('listJobs', { limit: 10 })
      expect(jobs.map((job) => [job.id, job.state, job.attemptsMade]).sort()).toEqual([
        [1, 'completed', 1],
        [2, 'completed', 1],
        [3, 'completed', 1],
        [4, 'cancelled', 1],
      ])
      const detail = await second.call('getJob', { id: 1 })
      expect(detail.providerBatch).toMatchObject({ state: 'settled' })
      const attempts = await rows<{ job_id: number; outcome: string; cost_usd: number | null; output_tokens: number | null }>(
        'SELECT job_id::int AS job_id, outcome, cost_usd, output_tokens FROM job_attempts ORDER BY job_id',
      )
      expect(attempts.map((attempt) => [attempt.job_id, attempt.outcome])).toEqual([
        [1, 'ok'],
        [2, 'ok'],
        [3, 'ok'],
        [4, 'cancelled'],
      ])
      expect(attempts[3]!.output_tokens).toBeGreaterThan(0)
      expect(attempts[3]!.cost_usd).toBeCloseTo(attempts[0]!.cost_usd!, 12)
      const [batch] = await rows<{ succeeded: number; failed: number; requeued: number; owner: string | null }>(
        'SELECT succeeded, failed, requeued, owner FROM provider_batches',
      )
      expect(batch).toEqual({ succeeded: 3, failed: 0, requeued: 0, owner: null })
      // The counts every engine shows equal a real count of the rows.
      const real = await rows<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM jobs GROUP BY state ORDER BY state')
      expect(real).toEqual([
        { state: 'cancelled', n: 1 },
        { state: 'completed', n: 3 },
      ])
      expect((await second.call('queueStats', {})).counts).toMatchObject({ completed: 3, cancelled: 1, submitted: 0, queued: 0 })
    })
  })

  it(
    'takes over an upload an engine of another machine left half-done, once that engine has been silent ten minutes, not before',
    { timeout: 60_000 },
    async () => {
      const url = await server!.freshDatabase()
      const rows = database(url)
      const [kind] = KINDS
      const fake = opened(await kind!.start())
      // The other machine: its own connection, an owner of its host (whose processes this one cannot see), its last beat a minute ago.
      const far = await PostgresQueueStore.open(url)
      onTestFinished(() => far.close())
      const owner = 'far-host:4242:0123abcd:4026531836'
      const identity = { owner, host: 'far-host', pid: 4242, version: 'test' }
      const now = Date.now()
      await far.saveProfile({ name: 'batchy', provider: kind!.kind, baseUrl: fake.url, model: kind!.model }, now)
      const { jobIds } = await far.enqueue(
        ['x', 'y'].map((prompt) => job(prompt, { provider: 'batchy', runAt: now - 1, config: { lane: 'batch' } })),
        'far',
        now,
      )
      await far.workers.beat(identity, now - 3_600_000, now - 60_000)
      const lines = jobIds.map((jobId) => ({ jobId, customId: `job-${jobId}-1` }))
      await far.providerBatches.take({
        provider: 'batchy',
        kind: kind!.kind,
        model: kind!.model,
        lines,
        bytes: 10,
        deadlineAt: null,
        owner,
        now,
        leaseMs: 1,
        firstPollAt: now,
      })

      const engine = await engineOn(url)
      // Polled many times over: a minute's silence may be a slow machine, and its upload may still reach the provider.
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(await rows<{ state: string }>('SELECT state FROM provider_batches')).toEqual([{ state: 'preparing' }])
      expect((await engine.call('queueStats', {})).counts).toMatchObject({ submitted: 2 })

      await far.workers.beat(identity, now - 3_600_000, Date.now() - GIVEN_UP_AFTER_MS - 1000)
      await settledAll(engine)
      // The batch is marked settled just after its last line commits.
      const batches = await waitFor(
        () =>
          rows<{ state: string; error: string | null; requeued: number; succeeded: number }>(
            'SELECT state, error, requeued, succeeded FROM provider_batches ORDER BY id',
          ),
        (all) => all.length === 2 && all[1]!.state !== 'sent',
        { what: "this engine's provider batch settled", timeoutMs: 10_000 },
      )
      expect(batches).toEqual([
        { state: 'abandoned', error: 'the engine stopped during the upload', requeued: 2, succeeded: 0 },
        { state: 'settled', error: null, requeued: 0, succeeded: 2 },
      ])
      expect(fake.book.linesUploaded).toBe(2)
      const { jobs } = await engine.call('listJobs', { limit: 10 })
      expect(jobs.map((each) => [each.state, each.attemptsMade])).toEqual([
        ['completed', 1],
        ['completed', 1],
      ])
    },
  )
})
