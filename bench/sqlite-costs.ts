/**
 * What SQLite costs a job, beneath the drain and the single enqueue (issue 16, items 2 and 3):
 * `npx tsx bench/sqlite-costs.ts [N]` times the store's own claim and settle of N no-op jobs
 * (default 50,000; batches of 100, as a drain's are ~90), then again with one thing taken away
 * from a copy of the schema each time, to show what that thing costs: the three triggers
 * that count a change of state (switched off by the claim and the settle, but their columns
 * are still read on every update), the secondary indexes neither statement reads, a larger
 * batch. Then the WAL pages one single-job enqueue commits, by table and index (dbstat).
 * Measures on the bench's own temporary files; asserts nothing, changes no shipped schema.
 */
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import type { AttemptResult, ClaimOptions, NewJob } from '../src/main/queue/store'
import { SqliteQueueStore } from '../src/main/store/sqlite/queue'
import { formatNumber, machine, table, tempDir } from './support'

const N = Number(process.argv[2] ?? 50_000)

const job = (i: number): NewJob => ({
  prompt: `Say ${i}.`,
  provider: 'sim',
  model: null,
  priority: 0,
  runAt: 0,
  maxAttempts: 3,
  idempotencyKey: null,
  tags: null,
  config: {},
})

/** Ways the schema is changed on the bench's copy, each to see what the thing removed costs. */
const VARIANTS: { label: string; sql: string[]; batch?: number }[] = [
  { label: 'as shipped (batches of 100)', sql: [] },
  {
    label: 'without the three state triggers',
    sql: ['DROP TRIGGER batch_counts_on_state', 'DROP TRIGGER batch_finishes_on_state', 'DROP TRIGGER metric_totals_on_finish'],
  },
  {
    label: 'without the indexes no claim or settle reads',
    sql: ['jobs_by_model', 'jobs_by_priority', 'jobs_by_batch', 'jobs_finished', 'job_events_by_job', 'job_attempts_by_job'].map(
      (index) => `DROP INDEX ${index}`,
    ),
  },
  { label: 'as shipped, batches of 400', sql: [], batch: 400 },
]

function claimAndSettle(variant: (typeof VARIANTS)[number]): { enqueue: number; claim: number; settle: number } {
  const dir = tempDir('sqlite-costs')
  const store = SqliteQueueStore.open(join(dir.path, 'genops.db'))
  try {
    for (const statement of variant.sql) store.db.exec(statement)
    let started = performance.now()
    for (let from = 0; from < N; from += 10_000)
      store.enqueue(
        Array.from({ length: Math.min(10_000, N - from) }, (_, i) => job(from + i)),
        'bench',
        Date.now(),
      )
    const enqueue = performance.now() - started
    let claim = 0
    let settle = 0
    for (let done = 0; done < N;) {
      const now = Date.now()
      started = performance.now()
      const { jobs } = store.claim({ owner: 'bench:1:a', limit: variant.batch ?? 100, now, leaseMs: 60_000 } satisfies ClaimOptions) as {
        jobs: { id: number }[]
      }
      claim += performance.now() - started
      if (jobs.length === 0) throw new Error('the claim found nothing to claim')
      const results = jobs.map((claimed): AttemptResult => ({ id: claimed.id, outcome: 'ok', endedAt: now, output: 'ok', inputTokens: 1, outputTokens: 1 }))
      started = performance.now()
      store.settle(results, 'bench:1:a')
      settle += performance.now() - started
      done += jobs.length
    }
    return { enqueue, claim, settle }
  } finally {
    store.close()
    dir.remove()
  }
}

/** The WAL frames one single-job enqueue commits, by the table or index each page belongs to. */
function pagesOfOneEnqueue(): Map<string, number> {
  const dir = tempDir('sqlite-pages')
  const file = join(dir.path, 'genops.db')
  const store = SqliteQueueStore.open(file)
  try {
    store.db.pragma('wal_autocheckpoint = 0')
    // A queue with some history, so that each index has pages of its own.
    for (let i = 0; i < 3_000; i++) store.enqueue([job(i)], `one ${i}`, Date.now())
    store.db.pragma('wal_checkpoint(TRUNCATE)')
    const calls = 50
    for (let i = 0; i < calls; i++) store.enqueue([job(i)], `one ${i}`, Date.now())
    const wal = readFileSync(`${file}-wal`)
    const pageSize = wal.readUInt32BE(8)
    const owner = store.db.prepare('SELECT name FROM dbstat WHERE pageno = ?').pluck()
    const pages = new Map<string, number>()
    // A WAL file: a 32-byte header, then frames of a 24-byte header (the page's number first) and the page.
    for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
      const name = (owner.get(wal.readUInt32BE(at)) as string | undefined) ?? 'a free page'
      pages.set(name, (pages.get(name) ?? 0) + 1 / calls)
    }
    return pages
  } finally {
    store.close()
    dir.remove()
  }
}

const host = machine()
console.log(`SQLite's share of a job: npx tsx bench/sqlite-costs.ts ${N}`)
console.log(`machine: ${host.cpu}, ${host.cores} cores, ${formatNumber(host.memoryGb, 1)} GB, node ${host.node}`)
const perJob = (ms: number) => formatNumber((ms * 1000) / N, 1)
// Warm: the first variant is not to pay for the JIT compiling the store's paths.
claimAndSettle({ label: 'warm-up', sql: [] })
const rows = VARIANTS.map((variant) => {
  const { enqueue, claim, settle } = claimAndSettle(variant)
  return [variant.label, perJob(enqueue), perJob(claim), perJob(settle), perJob(claim + settle)]
})
console.log(table(['µs a job, main thread', 'bulk enqueue', 'claim', 'settle', 'claim + settle'], rows))
console.log('')
const pages = [...pagesOfOneEnqueue()].sort((a, b) => b[1] - a[1])
const total = pages.reduce((sum, [, n]) => sum + n, 0)
console.log(
  table(
    [`WAL pages of one single-job enqueue (${formatNumber(total, 1)} in all)`, 'pages'],
    pages.map(([name, n]) => [name, formatNumber(n, 2)]),
  ),
)
