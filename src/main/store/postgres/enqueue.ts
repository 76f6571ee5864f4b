/**
 * Enqueue on PostgreSQL: the batch row and every job of the call in one transaction, all or
 * nothing, written a chunk at a time by one INSERT ... SELECT FROM unnest(...) each, never
 * one round trip per job. A known idempotency key (in the table, or earlier in the same
 * call) adds nothing and answers the existing job's id; two engines enqueuing one key at
 * once meet at the unique index, and the second gets the first's job.
 */
import type pg from 'pg'
import type { BatchSource } from '../../../shared/batches'
import { LoadBook } from '../../queue/load-book'
import type { EnqueueOptions, EnqueueResult, LoadOptions, NewJob } from '../../queue/store'
import { StateTally } from '../sqlite/queue/state-tally'
import { filesTally } from '../sqlite/telemetry/tally'
import { writeMoves } from './batch-counts'
import { finishChange } from './counts'
import { addTotals, type TotalRow } from './rollups'
import type { Queryable } from './transaction'

/** Jobs per statement: 13 arrays of this many values stay well within one message to the server. */
export const JOBS_PER_STATEMENT = 5000

// The batch row, its sources (the files it was made from, in order), and an id for every job
// of the call taken from the table's own sequence, so every input maps to its row whether it
// was added or was a known key: RETURNING says which were added. (Taking them in the insert's
// own CTE and joining back cost a nested loop over the chunk: 8x slower.)
const INSERT_BATCH = `WITH batch AS (
    INSERT INTO batches (name, created_at, max_concurrency, capped_by, rerun_of, rerun_changes) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id),
  sources AS (${sourceRows('(SELECT id FROM batch)', 8)})
  SELECT (SELECT id FROM batch) AS id, ARRAY(SELECT nextval('jobs_id_seq') FROM generate_series(1, $7)) AS job_ids`

/** The batch's files, in order: the rows of batch_sources, their values from parameter `from` on (sourceParams). */
function sourceRows(batchId: string, from: number): string {
  return `INSERT INTO batch_sources (batch_id, file_index, name, format, jobs, columns)
    SELECT ${batchId}, i - 1, name, format, jobs, columns
    FROM unnest($${from}::text[], $${from + 1}::text[], $${from + 2}::integer[], $${from + 3}::text[]) WITH ORDINALITY AS s(name, format, jobs, columns, i)`
}

const sourceParams = (sources: readonly BatchSource[]): unknown[] => [
  sources.map((file) => file.name),
  sources.map((file) => file.format),
  sources.map((file) => file.jobs),
  sources.map((file) => JSON.stringify(file.columns)),
]

/** The files of a batch whose jobs were loaded before its files were known to be good (load.ts). */
export async function insertSources(client: Queryable, batchId: number, sources: readonly BatchSource[]): Promise<void> {
  if (sources.length > 0) await client.query(sourceRows('$1::bigint', 2), [batchId, ...sourceParams(sources)])
}

// The lane is fixed here, once: the job's own choice, else its profile's default (a profile's config may say lane "batch").
const INSERT_CHUNK = `INSERT INTO jobs (id, state, priority, run_at, created_at, updated_at, batch_id, provider, model, prompt, config, tags,
    idempotency_key, max_attempts, source_file, source_row, input, lane)
  SELECT id, 'queued', priority, run_at, $14, $14, $15, provider, model, prompt, config, tags, idempotency_key, max_attempts, source_file, source_row, input,
    CASE WHEN lane = 'batch' OR (lane IS NULL AND (SELECT p.settings::jsonb #>> '{config,lane}' FROM provider_profiles p WHERE p.name = t.provider) = 'batch')
      THEN 'batch' ELSE 'realtime' END
  FROM unnest($1::bigint[], $2::smallint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[], $9::text[],
              $10::integer[], $11::integer[], $12::integer[], $13::text[], $16::text[])
    AS t(id, priority, run_at, provider, model, prompt, config, tags, idempotency_key, max_attempts, source_file, source_row, input, lane)
  ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING id`

function chunkParams(ids: readonly number[], jobs: readonly NewJob[], now: number, batchId: number): unknown[] {
  return [
    ids,
    jobs.map((job) => job.priority),
    jobs.map((job) => job.runAt),
    jobs.map((job) => job.provider),
    jobs.map((job) => job.model),
    jobs.map((job) => job.prompt),
    jobs.map((job) => (job.config === null ? null : JSON.stringify(job.config))),
    jobs.map((job) => (job.tags === null ? null : JSON.stringify(job.tags))),
    jobs.map((job) => job.idempotencyKey),
    jobs.map((job) => job.maxAttempts),
    jobs.map((job) => job.origin?.file ?? null),
    jobs.map((job) => job.origin?.row ?? null),
    jobs.map((job) => job.origin?.input ?? null),
    now,
    batchId,
    jobs.map((job) => (typeof job.config?.lane === 'string' ? job.config.lane : null)),
  ]
}

/** `maxConcurrency` caps how many of the batch's jobs run at once (null: no cap); `source` names this store in the change notice. */
export async function enqueueJobs(
  client: pg.ClientBase,
  source: string,
  jobs: readonly NewJob[],
  batchName: string,
  now: number,
  maxConcurrency: number | null = null,
  options: LoadOptions = {},
): Promise<EnqueueResult> {
  const { batchId, ids } = await insertBatch(client, { batchName, now, maxConcurrency, options, jobs: jobs.length })
  const book = new LoadBook()
  for (let from = 0; from < jobs.length; from += JOBS_PER_STATEMENT) {
    await writeChunk(client, book, jobs.slice(from, from + JOBS_PER_STATEMENT), ids.slice(from, from + JOBS_PER_STATEMENT), { now, batchId })
    // A big call's progress, chunk by chunk; none of it is seen by a claim or a count until the commit.
    if (jobs.length > JOBS_PER_STATEMENT) options.onProgress?.({ batchId, loaded: Math.min(from + JOBS_PER_STATEMENT, jobs.length), total: jobs.length })
  }
  book.keep()
  await countBatch(client, source, batchId, book, options.sources)
  return { batchId, jobIds: book.jobIds, addedIds: book.addedIds, duplicates: book.duplicates }
}

interface NewBatch {
  batchName: string
  now: number
  maxConcurrency: number | null
  options: EnqueueOptions
  /** Ids to take from the jobs' sequence now, one a job (a load takes its own, a chunk at a time). */
  jobs: number
}

/** The batch row and its sources; an id for each of its jobs. */
export async function insertBatch(client: Queryable, { batchName, now, maxConcurrency, options, jobs }: NewBatch): Promise<{ batchId: number; ids: number[] }> {
  const { rows } = await client.query<{ id: number; job_ids: string[] }>(INSERT_BATCH, [
    batchName,
    now,
    maxConcurrency,
    maxConcurrency === null ? null : (options.cappedBy ?? 'its enqueue'),
    options.rerunOf ?? null,
    options.rerunChanges ? JSON.stringify(options.rerunChanges) : null,
    jobs,
    ...sourceParams(options.sources ?? []),
  ])
  // An array of bigint comes back as text: the type parser of connect.ts sees single values only.
  return { batchId: rows[0]!.id, ids: rows[0]!.job_ids.map(Number) }
}

/** Ids for `n` more jobs of a load, from the jobs' sequence. */
export async function takeIds(client: Queryable, n: number): Promise<number[]> {
  const { rows } = await client.query<{ ids: string[] }>(`SELECT ARRAY(SELECT nextval('jobs_id_seq') FROM generate_series(1, $1)) AS ids`, [n])
  return rows[0]!.ids.map(Number)
}

/** Writes one chunk of jobs (ids taken for them from the sequence) in one statement, into `book`. */
export async function writeChunk(
  client: Queryable,
  book: LoadBook,
  chunk: readonly NewJob[],
  ids: readonly number[],
  at: { now: number; batchId: number },
): Promise<void> {
  const { rows } = await client.query<{ id: number }>(INSERT_CHUNK, chunkParams(ids, chunk, at.now, at.batchId))
  const added = new Set(rows.map((row) => row.id))
  const jobIds = new Array<number>(chunk.length)
  const addedIds: number[] = []
  const addedJobs: NewJob[] = []
  const known: { at: number; key: string }[] = []
  // In the order given, from the ids RETURNING named (it names them in no promised order).
  ids.forEach((id, i) => {
    if (added.has(id)) {
      addedIds.push((jobIds[i] = id))
      addedJobs.push(chunk[i]!)
    } else known.push({ at: i, key: chunk[i]!.idempotencyKey! })
  })
  if (known.length > 0) {
    // Read after the insert: a key another engine committed meanwhile, or one this call added earlier, is there now.
    const { rows: existing } = await client.query<{ id: number; idempotency_key: string }>(
      'SELECT id, idempotency_key FROM jobs WHERE idempotency_key = ANY($1::text[])',
      [known.map((k) => k.key)],
    )
    const idOf = new Map(existing.map((row) => [row.idempotency_key, row.id]))
    for (const { at, key } of known) jobIds[at] = idOf.get(key)!
  }
  book.written(jobIds, addedIds, addedJobs, known.length)
}

/**
 * Counts the batch's kept jobs where the screens and metrics read them, and tells the other
 * engines, in the transaction that makes them visible; later changes of state are counted by transitions.ts.
 */
export async function countBatch(
  client: pg.ClientBase,
  source: string,
  batchId: number,
  book: LoadBook,
  sources: readonly BatchSource[] | undefined,
): Promise<void> {
  const added = book.addedIds.length
  const tally = new StateTally()
  tally.added(batchId, 'queued', added)
  await writeMoves(client, tally)
  await addTotals(client, [
    ...book.added.rows().map((row): TotalRow => ['jobs_enqueued', ...row]),
    ...filesTally(sources)
      .rows()
      .map((row): TotalRow => ['intake_jobs', ...row]),
  ])
  await finishChange(client, { queued: added }, source, 'enqueued', { cte: 'UPDATE batches SET job_count = $6 WHERE id = $7', params: [added, batchId] })
}

/** Below this many jobs added, an enqueue leaves the statistics to autovacuum. */
const ANALYZE_AFTER = 1000

/**
 * After a big enqueue, fresh planner statistics for jobs: without them (a table just filled,
 * before autovacuum's next pass, or a server with autovacuum off) PostgreSQL guesses a
 * handful of queued rows, and each claim then sorts the whole queue instead of walking
 * jobs_ready in order (10-20 ms a claim with 15,000 queued, measured). Run after the commit,
 * so the sample sees the new rows; only when the enqueue added a tenth of the table or more.
 */
export async function refreshStatistics(client: Queryable, added: number): Promise<void> {
  if (added < ANALYZE_AFTER) return
  const { rows } = await client.query<{ n: number | null }>('SELECT sum(n)::bigint AS n FROM job_counts')
  if (added * 10 >= (rows[0]?.n ?? 0)) await client.query('ANALYZE jobs')
}
