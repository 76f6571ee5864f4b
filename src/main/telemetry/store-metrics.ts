/**
 * The store-wide series: what describes the jobs, the queue and its costs, the same
 * whichever engine exports them. Each is read from the store when Prometheus scrapes:
 * counters from what the store recorded (tokens and cost from the day rollups, kept for
 * good; jobs enqueued and finished, attempts and intake from the totals of
 * store/sqlite/telemetry/metric-totals.ts), gauges from its maintained counts, so a job enqueued or
 * cancelled by the CLI counts as one enqueued by the app, and pruning never makes a
 * counter go back. None of it scans the jobs. When several engines share the store only
 * the holder of the exporter lease serves these (see exporter-lease.ts); no `engine` label.
 */
import { Counter, Gauge, Registry, type RegistryContentType } from 'prom-client'
import type { QueueStats } from '../../shared/jobs'
import { BREAKER_STATE_VALUE, METRICS, NO_CATEGORY } from '../../shared/metrics'
import type { BreakerState } from '../../shared/resilience'
import type { Awaitable } from '../queue/store'
import { tokenClasses } from '../../shared/tokens'
import { BoundedLabel, modelName } from './metric-labels'
import type { MetricStore, StoreTotals } from './metric-store'

/** What the store-wide series read at scrape time. */
export interface StoreSources {
  /** The store's totals and day rollups. */
  store: MetricStore
  /** Jobs by state from the store's maintained counts (store.stats): no scan. */
  queueStats(): Awaitable<QueueStats>
  /** How many of the due queued jobs (`dueQueued`, from queueStats) a gate holds: a paused provider, an open breaker, a rate limit. */
  heldJobs(dueQueued: number): Awaitable<number>
  /** Breakers are shared through the store's breaker log: every engine sees the same states. */
  breakers(): readonly { name: string; state: BreakerState }[]
  /** The database file and its write-ahead log, in bytes. */
  dbSizeBytes(): Awaitable<number>
  /** The most spent of each kind of budget (day, batch) as a share of its limit; empty without budgets. */
  budgetsUsed(): Awaitable<{ scope: string; ratio: number }[]>
  /** Free space on the data directory's filesystem, in bytes. */
  freeDiskBytes(): number
}

const NO_TOTALS: StoreTotals = { usage: [], counts: [] }

export class StoreMetrics {
  readonly registry = new Registry() as Registry<RegistryContentType>
  private readonly providers = new BoundedLabel()
  private readonly models = new BoundedLabel()
  private readonly formats = new BoundedLabel(20, 20)
  private readonly alertNames = new BoundedLabel(100, 100)
  private readonly severities = new BoundedLabel(10, 20)
  private readonly alertsFiring: Gauge<'alertname' | 'severity'>
  /** The store's totals as of this scrape: read once, before the series are collected. */
  private totals = NO_TOTALS

  constructor(sources: StoreSources) {
    const registers = [this.registry]
    const labels = (provider: string, model: string) => ({ provider: this.providers.of(provider), model: this.models.of(modelName(model)) })
    const countsOf = (metric: string) => this.totals.counts.filter((row) => row.metric === metric)
    // Counters set from the store: reset, then each row added, so two rows bounded to one label value add up.
    const read = (fill: (counter: Counter<string>) => void) =>
      function (this: Counter<string>) {
        this.reset()
        fill(this)
      }
    new Counter({
      name: METRICS.jobsEnqueued,
      help: 'Jobs added to the queue, whoever added them (a known idempotency key adds none).',
      labelNames: ['provider', 'model'],
      registers,
      collect: read((counter) => countsOf('jobs_enqueued').forEach((row) => counter.inc(labels(row.provider, row.model), row.n))),
    })
    new Counter({
      name: METRICS.jobsFinished,
      help: 'Jobs that left the queue: completed, dead (attempts spent or not retryable) or cancelled, whoever moved them.',
      labelNames: ['provider', 'model', 'outcome'],
      registers,
      collect: read((counter) => countsOf('jobs_finished').forEach((row) => counter.inc({ ...labels(row.provider, row.model), outcome: row.detail }, row.n))),
    })
    new Counter({
      name: METRICS.attempts,
      help: `Attempts that ran, by result and failure category (${NO_CATEGORY} when it succeeded; a stall is a TIMEOUT); a retry is an attempt after the first.`,
      labelNames: ['provider', 'model', 'result', 'category'],
      registers,
      collect: read((counter) =>
        countsOf('attempts').forEach((row) =>
          counter.inc({ ...labels(row.provider, row.model), result: row.detail === NO_CATEGORY ? 'ok' : 'error', category: row.detail }, row.n),
        ),
      ),
    })
    new Counter({
      name: METRICS.tokens,
      help:
        'Tokens the provider reported, by direction: input (the prompt, less what its cache read or wrote), cached_input (read from the ' +
        "provider's prompt cache), cache_write (written to it), output (the generation). The directions never overlap.",
      labelNames: ['provider', 'model', 'direction'],
      registers,
      collect: read((counter) => {
        for (const row of this.totals.usage) {
          for (const [direction, n] of Object.entries(tokenClasses(row))) if (n) counter.inc({ ...labels(row.provider, row.model), direction }, n)
        }
      }),
    })
    new Counter({
      name: METRICS.cost,
      help: 'What the attempts cost, in US dollars, at the configured prices.',
      labelNames: ['provider', 'model'],
      registers,
      // Priced at zero (local and simulator models) still makes the series: "costs nothing" is a figure too.
      collect: read((counter) => this.totals.usage.forEach((row) => counter.inc(labels(row.provider, row.model), Math.max(0, row.costUsd)))),
    })
    new Counter({
      name: METRICS.intakeJobs,
      help: 'Jobs enqueued from prompt files (the app, the CLI, the API), by file format.',
      labelNames: ['format'],
      registers,
      collect: read((counter) => countsOf('intake_jobs').forEach((row) => counter.inc({ format: this.formats.of(row.detail) }, row.n))),
    })
    new Gauge({
      name: METRICS.queueJobs,
      help: 'Jobs by state; held jobs are due but held by a gate (a paused provider, an open breaker, a rate limit) and are not counted as queued.',
      labelNames: ['state'],
      registers,
      async collect() {
        const { counts } = await sources.queueStats()
        const held = Math.min(counts.queued, await sources.heldJobs(counts.queued))
        this.set({ state: 'queued' }, counts.queued - held)
        this.set({ state: 'held' }, held)
        for (const state of ['delayed', 'submitted', 'active', 'completed', 'dead', 'cancelled'] as const) this.set({ state }, counts[state])
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
    const breakerNames = new BoundedLabel()
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
      async collect() {
        this.set(await sources.dbSizeBytes())
      },
    })
    const cache = () => this.totals.cache
    new Counter({
      name: METRICS.cacheHits,
      help: 'Attempts answered from the response cache (no provider call), whoever settled them; a clear does not take them back.',
      registers,
      collect: read((counter) => counter.inc(cache()?.hits ?? 0)),
    })
    new Counter({
      name: METRICS.cacheSaved,
      help: 'What the attempts answered from the response cache would have cost, in US dollars, at the prices of their day.',
      registers,
      collect: read((counter) => counter.inc(Math.max(0, cache()?.savedUsd ?? 0))),
    })
    new Gauge({
      name: METRICS.cacheEntries,
      help: 'Answers kept in the response cache (never evicted silently: genops cache clear removes them).',
      registers,
      collect() {
        this.set(cache()?.entries ?? 0)
      },
    })
    new Gauge({
      name: METRICS.cacheBytes,
      help: "The response cache's kept answers, in bytes of output.",
      registers,
      collect() {
        this.set(cache()?.bytes ?? 0)
      },
    })
    this.load = async () => {
      this.totals = await sources.store.totals()
    }
  }

  /** Reads the store's totals for the scrape about to render. */
  readonly load: () => Promise<void>

  /** The alerts firing now, replacing the previous set (alert states are the store's: every engine evaluates the same rules on it). */
  setAlertsFiring(alerts: readonly { alertname: string; severity: string }[]): void {
    this.alertsFiring.reset()
    for (const alert of alerts) this.alertsFiring.set({ alertname: this.alertNames.of(alert.alertname), severity: this.severities.of(alert.severity) }, 1)
  }
}
