/**
 * The engine's traces: each ended attempt's spans kept in SQLite for the waterfall (written
 * in batches of hundreds per transaction, on the main thread, the one writer) and, when an
 * endpoint is configured, exported over OTLP/HTTP. Old spans are pruned by age in slices.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Sampler } from '@opentelemetry/sdk-trace-base'
import { z } from 'zod'
import type { StoredSpan } from '../../shared/traces'
import type { Resolved } from '../queue/profiles'
import type { ClaimedJob, QueueStore } from '../queue/store'
import { attemptSpans, beginAttemptTrace, type AttemptTrace, type TracedAttempt } from './attempt-trace'
import { BoundedSampler } from './trace-sampler'
import { otlpTracesUrl, startOtlpExport, type OtlpExport } from './traces-otlp'

const DAY = 86_400_000

export const TracesConfig = z.object({
  /** Record traces (default). Off only to measure what they cost (bench/traces). */
  enabled: z.boolean().default(true),
  /**
   * An OTLP/HTTP collector's base URL (http://127.0.0.1:4318): spans are also sent there, to
   * /v1/traces. Without one, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT
   * is honoured; with neither, spans stay in the database.
   */
  otlpEndpoint: z.url({ protocol: /^https?$/, error: 'traces.otlpEndpoint must be an http:// or https:// URL' }).optional(),
  /**
   * Share of attempts whose spans are kept and exported; a failed attempt's always are.
   * Default 1: every job has its waterfall. Lower it for drains of thousands of attempts a
   * second, where writing every span costs a share of the throughput (see bench/traces.ts).
   */
  sampleRatio: z
    .number({ error: 'traces.sampleRatio must be a number' })
    .min(0, 'traces.sampleRatio must be from 0 to 1')
    .max(1, 'traces.sampleRatio must be from 0 to 1')
    .default(1),
  /**
   * Most attempts a second whose spans are kept (failed ones always are). Default 200: every
   * LLM-paced job keeps its waterfall, while a drain of thousands of no-op jobs a second
   * keeps a steady sample rather than spending a third of the main thread on span writes.
   */
  maxPerSecond: z
    .number({ error: 'traces.maxPerSecond must be a number' })
    .int('traces.maxPerSecond must be a whole number')
    .positive('traces.maxPerSecond must be positive')
    .default(200),
  /** How long spans are kept. Default 7 days. */
  retentionMs: z
    .number({ error: 'traces.retentionMs must be a number' })
    .int('traces.retentionMs must be a whole number of ms')
    .positive('traces.retentionMs must be positive')
    .default(7 * DAY),
})
export type TracesConfig = z.output<typeof TracesConfig>
export const DEFAULT_TRACES: TracesConfig = { enabled: true, sampleRatio: 1, maxPerSecond: 200, retentionMs: 7 * DAY }

/** Spans written per transaction: enough to make a drain's writes cheap, few enough to keep a turn short. */
const WRITE_BATCH = 512
/** Spans waiting this long are written even when fewer than a batch. */
const FLUSH_MS = 250
/** Past this many spans waiting (the database refusing writes for a while), the oldest are dropped. */
const MAX_PENDING = 100_000
/** Spans one retention pass deletes, a slice per transaction with a turn of the loop between. */
const PRUNE_SLICE = 1000
const PRUNE_BUDGET = 50_000

export class TraceRecorder {
  private pending: StoredSpan[] = []
  private flushScheduled = false
  private flushing: Promise<void> | null = null
  private dropped = 0
  private timers: NodeJS.Timeout[] = []
  private readonly otlp: OtlpExport | null
  private readonly sampler: Sampler
  private closed = false

  constructor(
    private readonly store: QueueStore,
    private readonly config: TracesConfig,
    private readonly onError: (error: unknown, during: string) => void,
  ) {
    this.sampler = new BoundedSampler(config.sampleRatio, config.maxPerSecond)
    const url = otlpTracesUrl(config.otlpEndpoint)
    this.otlp = url === null ? null : startOtlpExport(url, (error) => onError(error, `exporting spans to ${url}`))
  }

  /** Starts the flush and retention timers. */
  start(retentionSweepMs: number): void {
    const every = (ms: number, task: () => Promise<unknown>, during: string) => {
      const timer = setInterval(() => void task().catch((error: unknown) => this.onError(error, during)), ms)
      timer.unref()
      this.timers.push(timer)
    }
    every(FLUSH_MS, () => this.flush(), 'writing spans')
    every(retentionSweepMs, () => this.prune(Date.now()), 'pruning old spans')
  }

  /** The trace of an attempt being dispatched. */
  begin(job: ClaimedJob, ran: Resolved): AttemptTrace {
    return beginAttemptTrace(job, ran, this.sampler)
  }

  record(attempt: TracedAttempt): void {
    if (this.closed) return
    const spans = attemptSpans(attempt)
    if (spans.length === 0) return
    for (const span of spans) this.pending.push(span)
    this.otlp?.export(spans)
    if (this.pending.length > MAX_PENDING) {
      this.dropped += this.pending.length - MAX_PENDING
      this.pending.splice(0, this.pending.length - MAX_PENDING)
    }
    if (this.pending.length >= WRITE_BATCH && !this.flushScheduled) {
      this.flushScheduled = true
      // After the scheduler's turn: its results are committed first.
      setImmediate(() => {
        this.flushScheduled = false
        this.flush().catch((error: unknown) => this.onError(error, 'writing spans'))
      })
    }
  }

  /** Writes every waiting span, a batch per transaction; a batch the database refuses waits for the next flush. */
  flush(): Promise<void> {
    // One flush at a time: a second caller waits for the one under way, which takes what was added meanwhile too.
    this.flushing ??= this.writePending().finally(() => (this.flushing = null))
    return this.flushing
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, WRITE_BATCH)
      await this.store.saveSpans(batch)
      this.pending.splice(0, batch.length)
    }
    if (this.dropped > 0) {
      const dropped = this.dropped
      this.dropped = 0
      throw new Error(`${dropped} spans were dropped while the database refused writes`)
    }
  }

  /** Deletes spans older than the retention, a slice at a time; returns how many. */
  async prune(now: number): Promise<number> {
    const before = now - this.config.retentionMs
    let removed = 0
    while (removed < PRUNE_BUDGET) {
      const n = await this.store.pruneSpans(before, PRUNE_SLICE)
      removed += n
      if (n < PRUNE_SLICE) break
      await nextTurn()
    }
    return removed
  }

  /** Writes what waits and sends what is queued for export; records nothing after. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    try {
      await this.flush()
    } finally {
      this.closed = true
      await this.otlp?.shutdown()
    }
  }
}
