/**
 * Conformance, the rows every change of state writes beside the jobs: a batch's counts and
 * finishes, the store's totals, the rollups and the batches' figures, failure groups, the
 * response cache and spans. The same calls must leave the same rows on every store, so the
 * figures are read with SQL both stores answer alike (batch_counts summed over PostgreSQL's
 * shards, SQLite's one row), beside the store's own reads where it has one.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import type { QueueCore } from '../../../src/main/store/queue-core'
import type { AttemptResult, QueueStore } from '../../../src/main/queue/store'
import type { StoredSpan } from '../../../src/shared/traces'
import { claim, failed, job, LEASE, leasesRunOut, ok, OWNER, T0 } from './harness'

export type SideRowsStore = QueueCore & Pick<QueueStore, 'saveSpans' | 'jobSpans' | 'pruneSpans' | 'listFailureGroups'>

export interface SideRowsUnderTest {
  store: SideRowsStore
  /** Runs a read both stores' SQL answers alike; numbers come back as numbers. */
  read(query: string): Promise<Record<string, unknown>[]>
  close(): Promise<void>
}

export type SideRowsFactory = () => Promise<SideRowsUnderTest>

async function fresh(factory: SideRowsFactory): Promise<SideRowsUnderTest> {
  const opened = await factory()
  onTestFinished(() => opened.close())
  return opened
}

const lines = (rows: Record<string, unknown>[]) => rows.map((row) => Object.values(row).join(' ')).sort()

/** The kept counts (job_counts, batch_counts) against a real count of the jobs, as expectCountsAgree does for SQLite. */
async function expectCountsAgree({ read }: SideRowsUnderTest): Promise<void> {
  expect(lines(await read('SELECT state, CAST(sum(n) AS bigint) AS n FROM job_counts GROUP BY state HAVING sum(n) <> 0'))).toEqual(
    lines(await read('SELECT state, count(*) AS n FROM jobs GROUP BY state')),
  )
  expect(lines(await read('SELECT batch_id, state, CAST(sum(n) AS bigint) AS n FROM batch_counts GROUP BY batch_id, state HAVING sum(n) <> 0'))).toEqual(
    lines(await read('SELECT batch_id, state, count(*) AS n FROM jobs WHERE batch_id IS NOT NULL GROUP BY batch_id, state')),
  )
}

const END = T0 + 100
const cost = (usd: number | null) => ({ providerKind: 'openai', model: 'gpt-test', usd })

export function sideRowsConformance(factory: SideRowsFactory): void {
  describe('side rows', () => {
    it('keeps batch counts, finishes and totals with the jobs through enqueue, claim, settle, cancel, recovery, retry, removal and cleaning', async () => {
      const under = await fresh(factory)
      const { store, read } = under
      const a = await store.enqueue(
        Array.from({ length: 5 }, (_, i) => job(`a${i}`, { tags: i < 2 ? ['red'] : null })),
        'a.jsonl',
        T0,
        null,
        { sources: [{ name: 'a.jsonl', format: '.JSONL', jobs: 5, columns: ['prompt'] }] },
      )
      const [j1, j2, j3, j4, j5] = a.jobIds as [number, number, number, number, number]
      await expectCountsAgree(under)
      expect(lines(await read('SELECT batch_id, file_index, name, format, jobs, columns FROM batch_sources'))).toEqual([
        `${a.batchId} 0 a.jsonl .JSONL 5 ["prompt"]`,
      ])

      expect((await claim(store, T0, 4)).jobs).toHaveLength(4)
      await expectCountsAgree(under)
      const results: AttemptResult[] = [
        { ...ok(j1, END), cost: cost(0.25), cache: { key: 'k1', made: true } },
        failed(j2, { endedAt: END, retryAt: T0 + 5_000 }),
        failed(j3, { endedAt: END, category: 'VALIDATION', message: 'bad output', retryable: false }),
        failed(j4, { endedAt: END, category: 'AUTH', message: 'key refused', retryable: false, refund: true }),
      ]
      expect(await store.settle(results, OWNER)).toHaveLength(4)
      await expectCountsAgree(under)

      await store.cancel(j5, T0 + 200)
      await expectCountsAgree(under)

      const later = T0 + 10_000
      expect((await claim(store, later, 10)).jobs.map((claimed) => claimed.id).sort((x, y) => x - y)).toEqual([j2, j4])
      await expectCountsAgree(under)
      await leasesRunOut(store)
      expect(await store.recoverStalled({ now: later + LEASE + 1, maxStalled: 1 })).toHaveLength(2)
      await expectCountsAgree(under)

      await store.retry(j3, later, ['dead'])
      await expectCountsAgree(under)
      expect(await store.remove(j5)).toBe(true)
      await expectCountsAgree(under)

      const b = await store.enqueue([job('b0', { tags: ['red', 'blue'] })], 'b', later)
      await claim(store, later + 100_000, 10)
      // j2, j3 and j4 are claimed with it: j3 dies, the others are left active for the end.
      expect(
        await store.settle(
          [
            { ...ok(b.jobIds[0]!, later + 100_100), cache: { key: 'k1', hit: true, savedUsd: 0.5 } },
            failed(j3, { endedAt: later + 100_100, category: 'VALIDATION', message: 'bad output', retryable: false }),
          ],
          OWNER,
        ),
      ).toHaveLength(2)
      await expectCountsAgree(under)

      expect(
        lines(
          await read(
            'SELECT batch_id, minute, CAST(sum(completed) AS bigint) AS c, CAST(sum(dead) AS bigint) AS d FROM batch_finishes GROUP BY batch_id, minute',
          ),
        ),
      ).toEqual(
        [
          `${a.batchId} ${Math.floor(END / 60_000)} 1 1`,
          `${a.batchId} ${Math.floor((later + 100_100) / 60_000)} 0 1`,
          `${b.batchId} ${Math.floor((later + 100_100) / 60_000)} 1 0`,
        ].sort(),
      )
      expect(lines(await read(`SELECT metric, provider, model, detail, n FROM metric_totals`))).toEqual(
        [
          'attempts sim  none 1',
          'attempts sim gpt-test none 1',
          'attempts sim  SERVICE_UNAVAILABLE 1',
          'attempts sim  VALIDATION 2',
          'attempts sim  AUTH 1',
          'attempts sim  TIMEOUT 2',
          'intake_jobs   jsonl 5',
          'jobs_enqueued sim   6',
          'jobs_finished sim  completed 2',
          'jobs_finished sim  dead 2',
          'jobs_finished sim  cancelled 1',
        ].sort(),
      )

      // Cleaning and retention take finished jobs off their batches' counts.
      await store.clean('completed', later + 1_000_000)
      await store.clean('dead', later + 1_000_000)
      await expectCountsAgree(under)
      expect(lines(await read('SELECT state, count(*) AS n FROM jobs GROUP BY state'))).toEqual(['active 2'])
    })

    it('adds every settled attempt to the rollups, the tags and its batch, stalls too', async () => {
      const under = await fresh(factory)
      const { store, read } = under
      const a = await store.enqueue([job('x', { tags: ['red'] }), job('y', { tags: ['red', 'blue'] }), job('z')], 'a', T0)
      const [x, y, z] = a.jobIds as [number, number, number]
      await claim(store, T0, 10)
      await store.settle(
        [
          { ...ok(x, T0 + 1_100), cost: cost(0.25), cachedInputTokens: 7, cacheWriteTokens: 2 },
          { ...ok(y, T0 + 1_300), cost: cost(null) },
          failed(z, { endedAt: T0 + 1_200 }),
        ],
        OWNER,
      )
      await claim(store, T0 + 6_000, 10)
      await leasesRunOut(store)
      await store.recoverStalled({ now: T0 + 6_000 + LEASE + 1, maxStalled: 0 })

      const all = `FROM usage_rollups WHERE resolution = (SELECT min(resolution) FROM usage_rollups) AND provider = ''`
      expect(
        await read(`SELECT CAST(sum(attempts) AS bigint) AS attempts, CAST(sum(completed) AS bigint) AS completed, CAST(sum(failed) AS bigint) AS failed,
          CAST(sum(dead) AS bigint) AS dead, CAST(sum(input_tokens) AS bigint) AS input, CAST(sum(output_tokens) AS bigint) AS output,
          CAST(sum(cached_input_tokens) AS bigint) AS cached, CAST(sum(cache_write_tokens) AS bigint) AS written, sum(cost_usd) AS usd,
          CAST(sum(unpriced) AS bigint) AS unpriced ${all}`),
      ).toEqual([{ attempts: 4, completed: 2, failed: 1, dead: 1, input: 6, output: 10, cached: 7, written: 2, usd: 0.25, unpriced: 1 }])
      // Every resolution holds the same attempts, by provider and model as in the all-providers row.
      expect(lines(await read(`SELECT resolution, CAST(sum(attempts) AS bigint) AS n FROM usage_rollups WHERE provider <> '' GROUP BY resolution`))).toEqual(
        lines(await read(`SELECT resolution, CAST(sum(attempts) AS bigint) AS n FROM usage_rollups WHERE provider = '' GROUP BY resolution`)),
      )
      expect(
        lines(
          await read(
            `SELECT provider, provider_kind, model, CAST(sum(attempts) AS bigint) AS n ${all.replace("provider = ''", "provider <> ''")} GROUP BY provider, provider_kind, model`,
          ),
        ),
      ).toEqual(['sim   2', 'sim openai gpt-test 2'].sort())
      expect(
        await read(
          `SELECT attempts, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_usd, unpriced_attempts, settled_at FROM batches`,
        ),
      ).toEqual([
        {
          attempts: 4,
          input_tokens: 6,
          output_tokens: 10,
          cached_input_tokens: 7,
          cache_write_tokens: 2,
          cost_usd: 0.25,
          unpriced_attempts: 1,
          settled_at: T0 + 6_000 + LEASE + 1,
        },
      ])
      expect(
        lines(
          await read(
            `SELECT tag, CAST(sum(attempts) AS bigint) AS n, sum(cost_usd) AS usd, CAST(sum(unpriced) AS bigint) AS unpriced FROM tag_rollups
            WHERE resolution = (SELECT min(resolution) FROM tag_rollups) GROUP BY tag`,
          ),
        ),
      ).toEqual(['(no tag) 2 0 0', 'blue 1 0 1', 'red 2 0.25 1'])
      // The cost and kind of each attempt are kept with it.
      expect(lines(await read('SELECT job_id, outcome, provider, provider_kind, model, cost_usd, error_severity FROM job_attempts'))).toEqual(
        [
          `${x} ok sim openai gpt-test 0.25 `,
          `${y} ok sim openai gpt-test  `,
          `${z} error sim  ${job('z').model ?? ''} 0 warning`,
          `${z} stalled     warning`,
        ].sort(),
      )
    })

    it('counts failures into their groups, keeping the newest sample jobs', async () => {
      const under = await fresh(factory)
      const { store } = under
      const { jobIds } = await store.enqueue(
        Array.from({ length: 7 }, (_, i) => job(`f${i}`)),
        'f',
        T0,
      )
      await claim(store, T0, 10)
      await store.settle(
        jobIds.map((id, i) => failed(id, { endedAt: T0 + 100 + i, message: `HTTP 503 from host ${i}`, retryable: false })),
        OWNER,
      )
      const groups = await store.listFailureGroups({ limit: 10 })
      expect(groups.map((g) => [g.category, g.count, g.firstSeen, g.lastSeen, g.sampleJobIds])).toEqual([
        ['SERVICE_UNAVAILABLE', 7, T0 + 100, T0 + 106, jobIds.slice(-5)],
      ])
    })

    it('keeps a completed answer in the response cache and counts the hits that reuse it', async () => {
      const under = await fresh(factory)
      const { store, read } = under
      const { jobIds } = await store.enqueue([job('c0'), job('c1'), job('c2'), job('c3')], 'c', T0)
      await claim(store, T0, 10)
      await store.settle(
        [
          { ...ok(jobIds[0]!, END, 'first answer'), cost: cost(0.1), cache: { key: 'k', made: true } },
          { ...ok(jobIds[1]!, END, 'second answer'), cost: cost(0.1), cache: { key: 'k', made: true } },
          { ...ok(jobIds[2]!, END + 5, 'first answer'), cache: { key: 'k', hit: true, savedUsd: 0.1 } },
        ],
        OWNER,
      )
      await store.settle([{ ...ok(jobIds[3]!, END + 9, 'first answer'), cache: { key: 'k', hit: true, savedUsd: 0.1 } }], OWNER)
      expect(await read('SELECT key, output, source_job_id, hits, saved_usd, last_hit_at, bytes FROM response_cache')).toEqual([
        { key: 'k', output: 'first answer', source_job_id: jobIds[0], hits: 2, saved_usd: 0.2, last_hit_at: END + 9, bytes: 12 },
      ])
      expect(await read('SELECT entries, bytes, hits, saved_usd FROM response_cache_totals')).toEqual([{ entries: 1, bytes: 12, hits: 2, saved_usd: 0.2 }])
      expect(lines(await read('SELECT job_id, cached, saved_usd FROM job_attempts WHERE cached')).length).toBe(2)
    })

    it('releases the reservations of settled and stalled attempts, and books their answers in the rate windows', async () => {
      const under = await fresh(factory)
      const { store, read } = under
      const { batchId, jobIds } = await store.enqueue([job('r0'), job('r1'), job('r2')], 'r', T0)
      const [r0, r1, r2] = jobIds as [number, number, number]
      const claimed = await store.claim({
        owner: OWNER,
        limit: 10,
        now: T0,
        leaseMs: LEASE,
        starts: { windowMs: 60_000, estimate: () => 100 },
        reserve: (route, batch) => ({ provider: route.provider, providerKind: 'openai', batchId: batch, usd: 0.5, tokens: 100 }),
      })
      expect(lines(await read('SELECT job_id, batch_id, usd FROM budget_reservations'))).toEqual(jobIds.map((id) => `${id} ${batchId} 0.5`).sort())
      const startOf = new Map(claimed.jobs.map((claimedJob) => [claimedJob.id, claimedJob.startId!]))
      await store.settle(
        [
          { ...ok(r0, END), start: { id: startOf.get(r0)!, answeredAt: END, tokens: 42 } },
          { ...failed(r1, { endedAt: END }), start: { id: startOf.get(r1)!, freed: true } },
        ],
        OWNER,
      )
      expect(lines(await read('SELECT job_id FROM budget_reservations'))).toEqual([String(r2)])
      expect(lines(await read('SELECT job_id, tokens, answered_at FROM provider_starts'))).toEqual([`${r0} 42 ${END}`, `${r2} 100 `].sort())
      await leasesRunOut(store)
      await store.recoverStalled({ now: T0 + LEASE + 1, maxStalled: 1 })
      expect(await read('SELECT job_id FROM budget_reservations')).toEqual([])
    })

    it('enqueues with the batch’s sources, cap and re-run link, each job in the real-time lane', async () => {
      const { store, read } = await fresh(factory)
      const first = await store.enqueue([job('one')], 'first', T0)
      const again = await store.enqueue([job('x'), job('y')], 'again', T0, 2, {
        rerunOf: first.batchId,
        rerunChanges: { model: 'other' },
        sources: [
          { name: 'x.csv', format: '.csv', jobs: 1, columns: ['prompt', 'id'] },
          { name: 'y.txt', format: '.txt', jobs: 1, columns: [] },
        ],
      })
      const [batch] = await read(`SELECT max_concurrency, capped_by, rerun_of, rerun_changes, job_count FROM batches WHERE id = ${again.batchId}`)
      // JSON text on SQLite, jsonb on PostgreSQL: the same object either way.
      const changes: unknown = typeof batch!.rerun_changes === 'string' ? JSON.parse(batch!.rerun_changes) : batch!.rerun_changes
      expect({ ...batch, rerun_changes: changes }).toEqual({
        max_concurrency: 2,
        capped_by: 'its enqueue',
        rerun_of: first.batchId,
        rerun_changes: { model: 'other' },
        job_count: 2,
      })
      expect(lines(await read(`SELECT file_index, name, format, jobs, columns FROM batch_sources WHERE batch_id = ${again.batchId}`))).toEqual([
        '0 x.csv .csv 1 ["prompt","id"]',
        '1 y.txt .txt 1 []',
      ])
      expect(lines(await read('SELECT id, lane FROM jobs'))).toEqual(
        [`${first.jobIds[0]} realtime`, `${again.jobIds[0]} realtime`, `${again.jobIds[1]} realtime`].sort(),
      )
      expect(lines(await read(`SELECT metric, detail, n FROM metric_totals WHERE metric = 'intake_jobs'`))).toEqual(['intake_jobs csv 1', 'intake_jobs txt 1'])
    })

    it('keeps spans and gives them back by job, by attempt and start; prunes the oldest', async () => {
      const { store } = await fresh(factory)
      const { jobIds } = await store.enqueue([job('s')], 's', T0)
      const id = jobIds[0]!
      const span = (spanId: string, attempt: number, startMs: number, extra: Partial<StoredSpan> = {}): StoredSpan => ({
        traceId: 't'.repeat(32),
        spanId,
        parentSpanId: null,
        jobId: id,
        attempt,
        name: 'attempt',
        startMs,
        endMs: startMs + 10.5,
        status: 'ok',
        statusMessage: null,
        attributes: {},
        events: [],
        ...extra,
      })
      const spans = [
        span('b'.repeat(16), 2, T0 + 50),
        span('a'.repeat(16), 1, T0 + 20, { parentSpanId: 'c'.repeat(16), attributes: { 'http.status': 503 }, status: 'error', statusMessage: 'HTTP 503' }),
        span('c'.repeat(16), 1, T0 + 10, { events: [{ name: 'retry', timeMs: T0 + 15 }] }),
      ]
      await store.saveSpans(spans)
      const { jobId: _, ...first } = spans[2]!
      expect(await store.jobSpans(id)).toEqual([first, ...[spans[1]!, spans[0]!].map(({ jobId: __, ...rest }) => rest)])
      expect(await store.jobSpans(id + 1000)).toBeNull()
      expect(await store.pruneSpans(T0 + 40, 10)).toBe(2)
      expect((await store.jobSpans(id))!.map((s) => s.spanId)).toEqual(['b'.repeat(16)])
    })
  })
}
