/**
 * The engine's metrics: DESIGN.md's catalogue (names in src/shared/metrics) as prom-client
 * metrics, in two parts, so that several engines on one store (PostgreSQL, or the app and
 * `genops serve` on one data directory) add up to the truth under sum():
 *
 * - Store-wide series (store-metrics.ts): jobs enqueued and finished, attempts, tokens,
 *   cost, intake, queue depth, budgets, breakers, alerts, the database's size. Read from
 *   the store at scrape time: counters from what it recorded, whoever wrote it (the CLI,
 *   the app, another engine), never from what this process saw. Served only by the
 *   engine holding the exporter lease (exporter-lease.ts), without an `engine` label.
 * - Per-process series (here): what this process did and measured: histograms of the
 *   attempts and jobs it ran (durations, waits, first tokens), its pool, its rate-limit
 *   holds, learned concurrency and breaker transitions, its transactions, intake files it
 *   refused, its build, and Node's process metrics (event-loop lag...). Labelled
 *   `engine` (its lease owner id) once its exporter serves them.
 *
 * An engine without an exporter (a support bundle's snapshot) renders both parts.
 *
 * Labels: `provider` is the job's provider name (a profile or a provider kind), `model` the
 * job's model as submitted for job-level metrics (empty when the job names none and its
 * profile decides) and the model that ran for attempt-level ones. Both are bounded (see
 * metric-labels.ts); no job id, prompt or error message is ever a label.
 */
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client'
import { METRICS, RATE_LIMITS, type DbOperation, type FinishOutcome, type RateLimit } from '../../shared/metrics'
import type { BreakerState } from '../../shared/resilience'
import type { AttemptEnded } from '../queue/scheduler-hooks'
import { ExporterLease, type ExporterLeaseOptions } from './exporter-lease'
import { BoundedLabel, modelName } from './metric-labels'
import { processMetrics } from './process-metrics'
import { LATENCY_BOUNDS_MS } from './rollups'
import { renderMetrics, type MetricsFormat } from './metrics-format'
import { StoreMetrics, type StoreSources } from './store-metrics'
import { genopsVersion } from './version'

/** What the metrics read at scrape time. */
export interface MetricSources extends StoreSources {
  pool: { readonly threads: number; readonly utilization: number; readonly queuedTasks: number }
  /** Each provider and model's concurrency limit as learned now (resilience/concurrency-limit). */
  concurrencyLimits?(): readonly { provider: string; model: string | null; limit: number }[]
}

/** A job that left the queue: completed, dead or cancelled. */
export interface FinishedJobMetric {
  provider: string
  model: string | null
  outcome: FinishOutcome
  createdAt: number
  finishedAt: number
}

const MS_PER_SECOND = 1000
/** From a no-op to a day in the queue: a job's life from enqueue to finish. */
const JOB_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400]
/** A busy queue claims a due job within milliseconds; a held or backed-up one, hours later. */
const WAIT_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400]
/** A provider call: sub-second for small prompts, minutes for long generations. */
const REQUEST_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600]
const FIRST_TOKEN_SECONDS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60]
/**
 * The rollups' own latency bounds from 10 ms to 1,000 s (telemetry/rollups.ts, five a
 * decade, to three figures): the p95 Prometheus reads from this histogram comes from the
 * same buckets as the p95 the engine's GenOpsSlowJobs rule reads from the rollups.
 */
export const ATTEMPT_SECONDS = LATENCY_BOUNDS_MS.filter((ms) => ms >= 10).map((ms) => Number((ms / MS_PER_SECOND).toPrecision(3)))
/** A claim or settle of a few hundred jobs takes milliseconds; past a second the queue stalls. */
const TRANSACTION_SECONDS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

export class EngineMetrics {
  private readonly perProcess: Registry<RegistryContentType>
  private readonly storeWide: StoreMetrics
  /** Set once an exporter serves these metrics: it decides whether the store-wide series are this engine's to serve. */
  private lease: ExporterLease | null = null
  private readonly providers = new BoundedLabel()
  private readonly models = new BoundedLabel()
  private readonly breakerNames = new BoundedLabel()
  private readonly reasons = new BoundedLabel(50, 60)

  private readonly jobDuration: Histogram<'provider' | 'model' | 'outcome'>
  private readonly jobWait: Histogram<'provider'>
  private readonly attemptDuration: Histogram<'provider' | 'model'>
  private readonly requestDuration: Histogram<'provider' | 'model'>
  private readonly firstToken: Histogram<'provider' | 'model'>
  private readonly breakerTransitions: Counter<'breaker' | 'to'>
  private readonly holds: Counter<'provider' | 'limit'>
  private readonly concurrencyDecreases: Counter<'provider' | 'model' | 'signal'>
  private readonly intakeRejected: Counter<'reason'>
  private readonly transactions: Histogram<'operation'>

  constructor(
    private readonly sources: MetricSources,
    version = genopsVersion(),
  ) {
    this.storeWide = new StoreMetrics(sources)
    const own = new Registry()
    const registers = [own]
    new Gauge({ name: METRICS.buildInfo, help: 'Always 1; the version of GenOps that runs.', labelNames: ['version'], registers }).set({ version }, 1)
    this.jobDuration = new Histogram({
      name: METRICS.jobDuration,
      help: 'From enqueue to finish, waits and retries included, of the jobs this engine saw finish.',
      labelNames: ['provider', 'model', 'outcome'],
      buckets: JOB_SECONDS,
      registers,
    })
    this.jobWait = new Histogram({
      name: METRICS.jobWait,
      help: 'From when an attempt was due to when it was claimed: time in the queue.',
      labelNames: ['provider'],
      buckets: WAIT_SECONDS,
      registers,
    })
    this.attemptDuration = new Histogram({
      name: METRICS.attemptDuration,
      help: 'Completed attempts, from claim to result (the time in the queue before it left out): what GenOpsSlowJobs takes the p95 of.',
      labelNames: ['provider', 'model'],
      buckets: ATTEMPT_SECONDS,
      registers,
    })
    this.requestDuration = new Histogram({
      name: METRICS.requestDuration,
      help: 'One attempt against the provider, from the call to its last token or its failure.',
      labelNames: ['provider', 'model'],
      buckets: REQUEST_SECONDS,
      registers,
    })
    this.firstToken = new Histogram({
      name: METRICS.timeToFirstToken,
      help: 'From the call to the first token of a successful attempt.',
      labelNames: ['provider', 'model'],
      buckets: FIRST_TOKEN_SECONDS,
      registers,
    })
    this.breakerTransitions = new Counter({
      name: METRICS.breakerTransitions,
      help: 'Breaker changes this engine saw, by the state entered (closed, open, half-open, isolated).',
      labelNames: ['breaker', 'to'],
      registers,
    })
    this.holds = new Counter({
      name: METRICS.rateLimitHolds,
      help: "Times a claim left a provider's due jobs queued because of one of its limits.",
      labelNames: ['provider', 'limit'],
      registers,
    })
    const { providers, models } = this
    new Gauge({
      name: METRICS.providerConcurrencyLimit,
      help: 'Attempts a provider and model may run at once, as learned from 429s and surges of server failures (its ceiling when healthy).',
      labelNames: ['provider', 'model'],
      registers,
      collect() {
        this.reset()
        for (const limit of sources.concurrencyLimits?.() ?? [])
          this.set({ provider: providers.of(limit.provider), model: models.of(modelName(limit.model)) }, limit.limit)
      },
    })
    this.concurrencyDecreases = new Counter({
      name: METRICS.providerConcurrencyDecreases,
      help: 'Times an overload signal lowered a concurrency limit: a 429 (rate_limit) or server failures well above their usual share (errors).',
      labelNames: ['provider', 'model', 'signal'],
      registers,
    })
    new Gauge({ name: METRICS.poolThreads, help: 'Worker threads running attempts.', registers, collect: poolGauge(() => sources.pool.threads) })
    new Gauge({
      name: METRICS.poolUtilization,
      help: 'Share of the worker pool busy since it started (piscina utilization, 0 to 1).',
      registers,
      collect: poolGauge(() => sources.pool.utilization),
    })
    new Gauge({
      name: METRICS.poolQueuedTasks,
      help: 'Attempts handed to the pool that wait for a free thread.',
      registers,
      collect: poolGauge(() => sources.pool.queuedTasks),
    })
    this.intakeRejected = new Counter({
      name: METRICS.intakeRejectedFiles,
      help: 'Prompt files this engine refused whole, by reason.',
      labelNames: ['reason'],
      registers,
    })
    this.transactions = new Histogram({
      name: METRICS.dbTransactionDuration,
      help: 'Database transactions the queue waits for: claim, settle, enqueue.',
      labelNames: ['operation'],
      buckets: TRANSACTION_SECONDS,
      registers,
    })
    // merge() keeps the metric objects themselves: what is recorded here shows there.
    this.perProcess = Registry.merge([processMetrics(), own]) as Registry<RegistryContentType>
  }

  /**
   * The exporter's part: from now on the per-process series carry `engine` (the owner id),
   * and the store-wide ones are served only while this engine holds the exporter lease.
   */
  exportAs(owner: string, lease: ExporterLeaseOptions, onError: (error: unknown, during: string) => void): ExporterLease {
    this.perProcess.setDefaultLabels({ engine: owner })
    this.lease = new ExporterLease(this.sources.store, owner, lease, onError)
    return this.lease
  }

  /** The scheduler's hook: one attempt ended (or a breaker handed its job back before it ran). */
  attemptEnded(attempt: AttemptEnded): void {
    const { outcome } = attempt
    // A job a breaker handed back never reached its provider: nothing ran to time.
    if (!outcome) return
    const provider = this.providers.of(attempt.provider)
    const model = this.models.of(modelName(attempt.model))
    this.jobWait.observe({ provider }, Math.max(0, attempt.startedAt - attempt.readyAt) / MS_PER_SECOND)
    this.requestDuration.observe({ provider, model }, Math.max(0, outcome.durationMs) / MS_PER_SECOND)
    if (!outcome.ok) return
    // As the rollups time an attempt (settle: ended minus started), so the app's p95 and Prometheus's agree.
    this.attemptDuration.observe({ provider, model }, Math.max(0, attempt.endedAt - attempt.startedAt) / MS_PER_SECOND)
    if (outcome.firstTokenMs !== null) this.firstToken.observe({ provider, model }, Math.max(0, outcome.firstTokenMs) / MS_PER_SECOND)
  }

  /** Jobs this engine saw leave the queue: their time from enqueue to finish (the store counts them, see store-metrics.ts). */
  jobsFinished(jobs: readonly FinishedJobMetric[]): void {
    for (const job of jobs) {
      const labels = { provider: this.providers.of(job.provider), model: this.models.of(modelName(job.model)), outcome: job.outcome }
      this.jobDuration.observe(labels, Math.max(0, job.finishedAt - job.createdAt) / MS_PER_SECOND)
    }
  }

  breakerChanged(change: { breaker: string; to: BreakerState }): void {
    this.breakerTransitions.inc({ breaker: this.breakerNames.of(change.breaker), to: change.to })
  }

  /** The gates' hook: an overload signal lowered a provider's concurrency limit. */
  concurrencyDecreased(decrease: { provider: string; model: string | null; signal: string }): void {
    this.concurrencyDecreases.inc({ provider: this.providers.of(decrease.provider), model: this.models.of(modelName(decrease.model)), signal: decrease.signal })
  }

  /** The gates' hook: a claim left a provider's due jobs queued; only its limits count as rate limiting. */
  held(provider: string, kind: string): void {
    if ((RATE_LIMITS as readonly string[]).includes(kind)) this.holds.inc({ provider: this.providers.of(provider), limit: kind as RateLimit })
  }

  transaction(operation: DbOperation, seconds: number): void {
    this.transactions.observe({ operation }, seconds)
  }

  /** What intake records as it reads prompt files. */
  readonly intake = {
    /** A file refused whole; `reason` is a short fixed word (too-large, unknown-type, invalid...), never the message. */
    fileRejected: (reason: string): void => {
      this.intakeRejected.inc({ reason: this.reasons.of(reason) })
    },
  }

  /** For alerts: the alerts firing now, replacing the previous set. */
  setAlertsFiring(alerts: readonly { alertname: string; severity: string }[]): void {
    this.storeWide.setAlertsFiring(alerts)
  }

  /**
   * Everything this engine serves, in the Prometheus text format or OpenMetrics: what /metrics
   * serves and a support bundle keeps. The store-wide series only while this engine holds
   * the exporter lease (always, without an exporter); when the lease cannot be read, the
   * per-process series still answer.
   */
  async text(format: MetricsFormat = 'prometheus'): Promise<string> {
    const storeWide = this.lease ? await this.lease.holds() : true
    if (!storeWide) return renderMetrics([this.perProcess], format)
    await this.storeWide.load()
    return renderMetrics([this.perProcess, this.storeWide.registry], format)
  }
}

function poolGauge(read: () => number) {
  return function (this: Gauge) {
    this.set(read())
  }
}
