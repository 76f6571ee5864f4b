/**
 * The engine's metrics: DESIGN.md's catalogue (names in src/shared/metrics) as prom-client
 * metrics on a registry the engine owns, so two engines in one process keep apart, merged
 * with the process's default metrics (see process-metrics). Counters and histograms are
 * fed as things happen: the scheduler's hooks and the measured store. What the database
 * and the pool already know (jobs by state, pool load, database size, breaker states) is
 * read when Prometheus scrapes, never kept twice.
 *
 * Labels: `provider` is the job's provider name (a profile or a provider kind), `model` the
 * job's model as submitted for job-level metrics (empty when the job names none and its
 * profile decides) and the model that ran for attempt-level ones. Both are bounded (see
 * metric-labels.ts); no job id, prompt or error message is ever a label.
 */
import { Counter, Gauge, Histogram, Registry, type RegistryContentType } from 'prom-client'
import type { QueueStats } from '../../shared/jobs'
import { BREAKER_STATE_VALUE, METRICS, NO_CATEGORY, RATE_LIMITS, type DbOperation, type FinishOutcome, type RateLimit } from '../../shared/metrics'
import type { BreakerState } from '../../shared/resilience'
import type { AttemptEnded } from '../queue/scheduler-hooks'
import type { Awaitable } from '../queue/store'
import { BoundedLabel, categoryLabel, modelName } from './metric-labels'
import { processMetrics } from './process-metrics'
import { LATENCY_BOUNDS_MS } from './rollups'
import { renderMetrics, type MetricsFormat } from './metrics-format'
import { genopsVersion } from './version'

/** What the metrics read at scrape time. */
export interface MetricSources {
  /** Jobs by state from the store's maintained counts (store.stats): no scan. */
  queueStats(): Awaitable<QueueStats>
  /** How many of the due queued jobs (`dueQueued`, from queueStats) a gate holds: a paused provider, an open breaker, a rate limit. */
  heldJobs(dueQueued: number): number
  pool: { readonly threads: number; readonly utilization: number; readonly queuedTasks: number }
  breakers(): readonly { name: string; state: BreakerState }[]
  /** Each provider and model's concurrency limit as learned now (resilience/concurrency-limit). */
  concurrencyLimits?(): readonly { provider: string; model: string | null; limit: number }[]
  /** The database file and its write-ahead log, in bytes. */
  dbSizeBytes(): number
  /** The most spent of each kind of budget (day, batch) as a share of its limit; empty without budgets. */
  budgetsUsed(): Awaitable<{ scope: string; ratio: number }[]>
  /** Free space on the data directory's filesystem, in bytes. */
  freeDiskBytes(): number
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
  /** The engine's metrics and the process's, as /metrics serves them. */
  readonly registry: Registry<RegistryContentType>
  private readonly providers = new BoundedLabel()
  private readonly models = new BoundedLabel()
  private readonly breakerNames = new BoundedLabel()
  private readonly formats = new BoundedLabel(20, 20)
  private readonly reasons = new BoundedLabel(50, 60)
  private readonly alertNames = new BoundedLabel(100, 100)
  private readonly severities = new BoundedLabel(10, 20)

  private readonly enqueued: Counter<'provider' | 'model'>
  private readonly finished: Counter<'provider' | 'model' | 'outcome'>
  private readonly jobDuration: Histogram<'provider' | 'model' | 'outcome'>
  private readonly jobWait: Histogram<'provider'>
  private readonly attemptDuration: Histogram<'provider' | 'model'>
  private readonly attempts: Counter<'provider' | 'model' | 'result' | 'category'>
  private readonly tokens: Counter<'provider' | 'model' | 'direction'>
  private readonly cost: Counter<'provider' | 'model'>
  private readonly requestDuration: Histogram<'provider' | 'model'>
  private readonly firstToken: Histogram<'provider' | 'model'>
  private readonly breakerTransitions: Counter<'breaker' | 'to'>
  private readonly holds: Counter<'provider' | 'limit'>
  private readonly concurrencyDecreases: Counter<'provider' | 'model' | 'signal'>
  private readonly intakeJobs: Counter<'format'>
  private readonly intakeRejected: Counter<'reason'>
  private readonly alertsFiring: Gauge<'alertname' | 'severity'>
  private readonly transactions: Histogram<'operation'>

  constructor(sources: MetricSources, version = genopsVersion()) {
    const own = new Registry()
    const registers = [own]
    new Gauge({ name: METRICS.buildInfo, help: 'Always 1; the version of GenOps that runs.', labelNames: ['version'], registers }).set({ version }, 1)
    this.enqueued = new Counter({
      name: METRICS.jobsEnqueued,
      help: 'Jobs added to the queue by this engine (a known idempotency key adds none).',
      labelNames: ['provider', 'model'],
      registers,
    })
    this.finished = new Counter({
      name: METRICS.jobsFinished,
      help: 'Jobs that left the queue: completed, dead (attempts spent or not retryable) or cancelled.',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
    })
    this.jobDuration = new Histogram({
      name: METRICS.jobDuration,
      help: 'From enqueue to finish, waits and retries included.',
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
    new Gauge({
      name: METRICS.queueJobs,
      help: 'Jobs by state; held jobs are due but held by a gate (a paused provider, an open breaker, a rate limit) and are not counted as queued.',
      labelNames: ['state'],
      registers,
      async collect() {
        const { counts } = await sources.queueStats()
        const held = Math.min(counts.queued, sources.heldJobs(counts.queued))
        this.set({ state: 'queued' }, counts.queued - held)
        this.set({ state: 'held' }, held)
        for (const state of ['delayed', 'active', 'completed', 'dead', 'cancelled'] as const) this.set({ state }, counts[state])
      },
    })
    new Gauge({
      name: METRICS.queuePaused,
      help: 'Whether the whole queue is paused (1) or claiming (0): a queue that waits while paused is not stuck.',
      registers,
      async collect() {
        this.set((await sources.queueStats()).paused ? 1 : 0)
      },
    })
    this.attempts = new Counter({
      name: METRICS.attempts,
      help: `Attempts that ran, by result and failure category (${NO_CATEGORY} when it succeeded); a retry is an attempt after the first.`,
      labelNames: ['provider', 'model', 'result', 'category'],
      registers,
    })
    this.tokens = new Counter({
      name: METRICS.tokens,
      help: 'Tokens the provider reported, by direction (input: the prompt, output: the generation).',
      labelNames: ['provider', 'model', 'direction'],
      registers,
    })
    this.cost = new Counter({
      name: METRICS.cost,
      help: 'What the attempts cost, in US dollars, at the configured prices.',
      labelNames: ['provider', 'model'],
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
    const breakerNames = this.breakerNames
    new Gauge({
      name: METRICS.breakerState,
      help: 'Each breaker (provider/model): 0 closed, 1 half-open (a probe runs), 2 open (held open by the operator included).',
      labelNames: ['breaker'],
      registers,
      collect() {
        this.reset()
        for (const breaker of sources.breakers()) this.set({ breaker: breakerNames.of(breaker.name) }, BREAKER_STATE_VALUE[breaker.state])
      },
    })
    this.breakerTransitions = new Counter({
      name: METRICS.breakerTransitions,
      help: 'Breaker changes, by the state entered (closed, open, half-open, isolated).',
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
    this.intakeJobs = new Counter({ name: METRICS.intakeJobs, help: 'Jobs read from prompt files, by file format.', labelNames: ['format'], registers })
    this.intakeRejected = new Counter({
      name: METRICS.intakeRejectedFiles,
      help: 'Prompt files refused whole, by reason.',
      labelNames: ['reason'],
      registers,
    })
    this.alertsFiring = new Gauge({ name: METRICS.alertsFiring, help: 'Alerts firing now (1 each).', labelNames: ['alertname', 'severity'], registers })
    new Gauge({
      name: METRICS.budgetUsed,
      help: 'The most spent of any budget of a scope (day, batch), as a share of its limit: 1 is crossed.',
      labelNames: ['scope'],
      registers,
      async collect() {
        this.reset()
        for (const { scope, ratio } of await sources.budgetsUsed()) this.set({ scope }, ratio)
      },
    })
    new Gauge({
      name: METRICS.dataDirFree,
      help: "Free space on the data directory's filesystem.",
      registers,
      collect() {
        this.set(sources.freeDiskBytes())
      },
    })
    new Gauge({
      name: METRICS.dbSize,
      help: 'The database file and its write-ahead log.',
      registers,
      collect() {
        this.set(sources.dbSizeBytes())
      },
    })
    this.transactions = new Histogram({
      name: METRICS.dbTransactionDuration,
      help: 'Database transactions the queue waits for: claim, settle, enqueue.',
      labelNames: ['operation'],
      buckets: TRANSACTION_SECONDS,
      registers,
    })
    // merge() keeps the metric objects themselves: what is recorded here shows there.
    this.registry = Registry.merge([processMetrics(), own]) as Registry<RegistryContentType>
  }

  /** The scheduler's hook: one attempt ended (or a breaker handed its job back before it ran). */
  attemptEnded(attempt: AttemptEnded): void {
    const { outcome } = attempt
    // A job a breaker handed back never reached its provider: nothing ran to count.
    if (!outcome) return
    const provider = this.providers.of(attempt.provider)
    const model = this.models.of(modelName(attempt.model))
    this.jobWait.observe({ provider }, Math.max(0, attempt.startedAt - attempt.readyAt) / MS_PER_SECOND)
    this.attempts.inc({ provider, model, result: outcome.ok ? 'ok' : 'error', category: outcome.ok ? NO_CATEGORY : categoryLabel(outcome.category) })
    this.requestDuration.observe({ provider, model }, Math.max(0, outcome.durationMs) / MS_PER_SECOND)
    // Priced at zero (local and simulator models) still makes the series: "costs nothing" is a figure too.
    if (attempt.costUsd !== null && Number.isFinite(attempt.costUsd) && attempt.costUsd >= 0) this.cost.inc({ provider, model }, attempt.costUsd)
    if (!outcome.ok) return
    // As the rollups time an attempt (settle: ended minus started), so the app's p95 and Prometheus's agree.
    this.attemptDuration.observe({ provider, model }, Math.max(0, attempt.endedAt - attempt.startedAt) / MS_PER_SECOND)
    if (outcome.inputTokens) this.tokens.inc({ provider, model, direction: 'input' }, outcome.inputTokens)
    if (outcome.outputTokens) this.tokens.inc({ provider, model, direction: 'output' }, outcome.outputTokens)
    if (outcome.firstTokenMs !== null) this.firstToken.observe({ provider, model }, Math.max(0, outcome.firstTokenMs) / MS_PER_SECOND)
  }

  jobsEnqueued(jobs: readonly { provider: string; model: string | null }[]): void {
    // One increment per provider and model, not per job: enqueues come in batches of thousands.
    const counts = new Map<string, { provider: string; model: string; n: number }>()
    for (const job of jobs) {
      const provider = this.providers.of(job.provider)
      const model = this.models.of(modelName(job.model))
      const key = `${provider}\n${model}`
      const entry = counts.get(key)
      if (entry) entry.n++
      else counts.set(key, { provider, model, n: 1 })
    }
    for (const { provider, model, n } of counts.values()) this.enqueued.inc({ provider, model }, n)
  }

  jobsFinished(jobs: readonly FinishedJobMetric[]): void {
    for (const job of jobs) {
      const labels = { provider: this.providers.of(job.provider), model: this.models.of(modelName(job.model)), outcome: job.outcome }
      this.finished.inc(labels)
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
    /** Jobs read from files of a format (txt, md, jsonl, json, csv; a leading dot is dropped). */
    jobsRead: (format: string, jobs: number): void => {
      if (jobs > 0) this.intakeJobs.inc({ format: this.formats.of(format.replace(/^\./, '').toLowerCase()) }, jobs)
    },
    /** A file refused whole; `reason` is a short fixed word (too-large, unknown-type, invalid...), never the message. */
    fileRejected: (reason: string): void => {
      this.intakeRejected.inc({ reason: this.reasons.of(reason) })
    },
  }

  /** For alerts: the alerts firing now, replacing the previous set. */
  setAlertsFiring(alerts: readonly { alertname: string; severity: string }[]): void {
    this.alertsFiring.reset()
    for (const alert of alerts) this.alertsFiring.set({ alertname: this.alertNames.of(alert.alertname), severity: this.severities.of(alert.severity) }, 1)
  }

  /** Everything, in the Prometheus text format or OpenMetrics: what /metrics serves and a support bundle keeps. */
  text(format: MetricsFormat = 'prometheus'): Promise<string> {
    return renderMetrics(this.registry, format)
  }
}

function poolGauge(read: () => number) {
  return function (this: Gauge) {
    this.set(read())
  }
}
