/**
 * What batches need from the store: their progress and sources, their jobs a page at a time
 * for an export or a re-run, and the figures a comparison reads. The SQLite store answers
 * synchronously; a server's store may answer with promises.
 */
import type { BatchDetail, BatchSource, BatchSummary, RunTotals } from '../../shared/batches'

/** A value, or a promise of it: the SQLite store answers at once, a server's store later (as queue/store.ts says; not imported, so neither store file needs the other). */
type Awaitable<T> = T | Promise<T>

/** One job as an export writes it: where it came from, what it gave, what it took. */
export interface ExportJobRow {
  id: number
  state: string
  sourceFile: number | null
  sourceRow: number | null
  /** The input's own fields as JSON text, as intake kept them. */
  input: string | null
  prompt: string
  output: string | null
  category: string | null
  lastError: string | null
  provider: string
  /** The model the last attempt ran, else the job's. */
  model: string | null
  attempts: number
  inputTokens: number | null
  outputTokens: number | null
  /** Summed over the job's attempts; 0 when none read from or wrote to a prompt cache. */
  cachedInputTokens: number | null
  cacheWriteTokens: number | null
  costUsd: number | null
  /** The last attempt's time, for a completed job. */
  latencyMs: number | null
  artifact: string | null
  /** Whether the job's config asked for a checked output (json or a schema). */
  checked: boolean
}

/** A job of a batch as a re-run copies it. */
export interface RerunSourceJob {
  id: number
  prompt: string
  provider: string
  model: string | null
  priority: number
  maxAttempts: number
  config: string | null
  tags: string | null
  sourceFile: number | null
  sourceRow: number | null
  input: string | null
}

/** Mean tokens a finished job of a batch used: what a re-run's estimate is made of. */
export interface TokenMeans {
  jobs: number
  inputTokens: number
  outputTokens: number
}

export interface BatchStore {
  /** Newest first; `held` says only what the store knows (a paused batch, the paused queue). */
  list(options: { beforeId?: number | undefined; limit: number }, now: number): Awaitable<BatchSummary[]>
  get(batchId: number, now: number): Awaitable<BatchDetail | null>
  sources(batchId: number): Awaitable<BatchSource[] | null>
  /** The batch's jobs after this id, in id order (the input's order: intake enqueues in file order). */
  exportPage(batchId: number, afterId: number, limit: number): Awaitable<ExportJobRow[]>
  /** Keys of the outputs that are JSON objects, in order of first appearance, at most `limit`: the CSV's flattened columns. */
  outputKeys(batchId: number, limit: number): Awaitable<string[]>
  runTotals(batchId: number): Awaitable<RunTotals | null>
  /** Jobs of `batchId` at these places of its input: file index and row to the job's export row. */
  jobsAt(batchId: number, places: readonly { file: number; row: number }[]): Awaitable<Map<string, ExportJobRow>>
  /** The batch's jobs from the `offset`-th in id order: how batches without sources are matched. */
  jobsByOrder(batchId: number, offset: number, limit: number): Awaitable<ExportJobRow[]>
  rerunPage(batchId: number, afterId: number, limit: number): Awaitable<RerunSourceJob[]>
  tokenMeans(batchId: number): Awaitable<TokenMeans>
  /** Ids of the batch's queued and running jobs after this id: what a cancel of the batch stops. */
  openJobIds(batchId: number, afterId: number, limit: number): Awaitable<number[]>
}

/** `file:row` as comparisons and re-runs key a job's place in its input. */
export const placeKey = (file: number, row: number): string => `${file}:${row}`
