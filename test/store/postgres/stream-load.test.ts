/**
 * Files loaded while they are parsed on a team store (store/postgres/load.ts, intake/stream.ts):
 * one transaction on a connection of its own, a savepoint per file kept. The same batch as the
 * files read whole and enqueued in one call; nothing seen by another engine until the commit;
 * `genops enqueue --store` killed mid-load leaves nothing (the server rolls back); another
 * enqueue of a key the load holds waits and then keeps its own job when the file is refused.
 * A real PostgreSQL server, the real intake thread, the real CLI.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadPromptFiles } from '../../../src/main/intake/stream'
import { createHandlers } from '../../../src/main/operations'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import type { JobDefaults } from '../../../src/shared/jobs'
import { genopsAsync, genopsInBackground } from '../../support/cli'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'
import { enqueueReadWhole } from '../../support/read-whole'
import { lateRefusal } from '../../hostile/stream-intake/late-refusal'

const server = await postgresServer()
const DEFAULTS: JobDefaults = { provider: 'sim', priority: 'normal' }

async function storeOn(url: string): Promise<PostgresQueueStore> {
  const store = await PostgresQueueStore.open(url)
  onTestFinished(() => store.close())
  return store
}

function poolOn(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  // The test's database is dropped as it ends, its sessions ended with it: an idle one's error is expected then.
  pool.on('error', () => undefined)
  onTestFinished(() => pool.end())
  return pool
}

const rows = async (pool: pg.Pool, text: string, params: unknown[] = []) => (await pool.query(text, params)).rows

/** Everything a reader goes by, ids aside. */
async function contents(pool: pg.Pool) {
  return {
    jobs: await rows(pool, 'SELECT state, priority, provider, prompt, config, tags, idempotency_key, source_file, source_row, input FROM jobs ORDER BY id'),
    batches: await rows(pool, 'SELECT name, job_count FROM batches'),
    sources: await rows(pool, 'SELECT file_index, name, format, jobs, columns FROM batch_sources'),
    jobCounts: await rows(pool, 'SELECT state, sum(n)::int AS n FROM job_counts GROUP BY state HAVING sum(n) <> 0 ORDER BY state'),
    batchCounts: await rows(pool, 'SELECT state, n FROM batch_counts ORDER BY state'),
    totals: await rows(pool, 'SELECT metric, provider, model, detail, n FROM metric_totals ORDER BY metric, provider, model, detail'),
  }
}

/** Lines that pass the intake thread's threshold in a few thousand, keys shared between files. */
const jsonl = (name: string, lines: number) =>
  Array.from({ length: lines }, (_, i) =>
    JSON.stringify({
      prompt: `From ${name}: describe item ${i} in a paragraph, with an example.`,
      tags: [name],
      ...(i % 10 === 0 ? { idempotency_key: `k${i}` } : {}),
    }),
  ).join('\n')

describe.skipIf(!server)('files loaded while parsed on a team store', () => {
  it('make the same batch as the files read whole and enqueued in one call, seen by no one until the commit', async () => {
    const dir = tempDir()
    const files = [join(dir, 'a.jsonl'), join(dir, 'late.jsonl'), join(dir, 'small.csv'), join(dir, 'b.jsonl')]
    writeFileSync(files[0]!, jsonl('a', 6_000))
    writeFileSync(files[1]!, lateRefusal(20_000))
    writeFileSync(files[2]!, 'prompt,tone\nSay hello in a {{tone}} way,warm\n')
    writeFileSync(files[3]!, jsonl('b', 7_000))

    const streamedUrl = await server!.freshDatabase()
    const streamed = await storeOn(streamedUrl)
    const reader = poolOn(streamedUrl)
    const reads: Promise<number>[] = []
    const answer = await loadPromptFiles(streamed, files, {
      defaults: DEFAULTS,
      profiles: new Map(),
      onProgress: () => reads.push(rows(reader, 'SELECT count(*)::int AS n FROM jobs').then(([row]) => row!.n as number)),
    })
    // Another connection's reads while the load ran: none of its rows until the commit (the last reads may land after it).
    const after = answer.enqueued!.addedIds.length
    const meanwhile = await Promise.all(reads)
    expect(meanwhile[0]).toBe(0)
    expect(meanwhile.filter((n) => n !== 0 && n !== after)).toEqual([])

    const wholeUrl = await server!.freshDatabase()
    const whole = await storeOn(wholeUrl)
    const { result, files: wholeFiles } = await enqueueReadWhole(whole, files, DEFAULTS)

    expect(answer.files).toEqual(wholeFiles)
    expect(answer.files.map((file) => file.ok)).toEqual([true, false, true, true])
    const seen = await contents(poolOn(streamedUrl))
    expect(seen).toEqual(await contents(poolOn(wholeUrl)))
    expect(seen.batches).toEqual([{ name: 'a.jsonl + 2 more', job_count: 13_001 - result.duplicates }])
    expect(answer.enqueued).toMatchObject({ duplicates: result.duplicates })
    expect(result.duplicates).toBeGreaterThan(0)
  }, 120_000)

  it('`genops enqueue --store` killed mid-load leaves nothing, and the file goes in whole the next time', async () => {
    const url = await server!.freshDatabase()
    const dir = tempDir()
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, jsonl('big', 60_000))
    await storeOn(url)
    const reader = poolOn(url)
    const child = genopsInBackground(['enqueue', file, '--store', url, '--data-dir', dir])
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    // Killed once its load has written rows (seen from inside: the loading connection's transaction is not visible, so ask the sequence).
    for (let at = Date.now(); Date.now() - at < 60_000;) {
      const [{ n }] = (await rows(reader, `SELECT last_value * (CASE WHEN is_called THEN 1 ELSE 0 END) AS n FROM jobs_id_seq`)) as [{ n: string }]
      if (Number(n) > 10_000) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    child.kill('SIGKILL')
    await exited
    // The server rolls the transaction back once it sees the connection gone.
    for (let at = Date.now(); Date.now() - at < 10_000;) {
      const open = await rows(
        reader,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      )
      if (open[0]!.n === 0) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(await rows(reader, 'SELECT (SELECT count(*) FROM jobs)::int AS jobs, (SELECT count(*) FROM batches)::int AS batches')).toEqual([
      { jobs: 0, batches: 0 },
    ])
    const again = await genopsAsync(['enqueue', file, '--store', url, '--data-dir', dir])
    expect(again.stdout).toBe('big.jsonl: enqueued 60000 jobs as batch 2\n')
    expect(await rows(reader, 'SELECT count(*)::int AS n FROM jobs')).toEqual([{ n: 60_000 }])
  }, 120_000)

  it('lets another enqueue of a key the load holds wait, then keep its own job when the file is refused', async () => {
    const url = await server!.freshDatabase()
    const dir = tempDir()
    const file = join(dir, 'big.jsonl')
    writeFileSync(file, lateRefusal(20_000, 'shared'))
    const loader = await storeOn(url)
    const other = await storeOn(url)
    let mine: ReturnType<ReturnType<typeof createHandlers>['enqueueJobs']> | undefined
    const answer = await loadPromptFiles(loader, [file], {
      defaults: DEFAULTS,
      profiles: new Map(),
      onProgress: () => {
        mine ??= createHandlers(other).enqueueJobs({ jobs: [{ prompt: 'my own job', idempotencyKey: 'shared' }], defaults: DEFAULTS, batchName: 'mine' })
      },
    })
    expect(answer.enqueued).toBeNull()
    const result = await mine!
    expect(result.duplicates).toBe(0)
    const shared = await rows(poolOn(url), `SELECT id::int, prompt FROM jobs WHERE idempotency_key = 'shared'`)
    expect(shared).toEqual([{ id: result.jobIds[0], prompt: 'my own job' }])
  }, 60_000)
})
