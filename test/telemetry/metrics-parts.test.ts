/** The small rules under the metrics: bounded labels, format negotiation, which enqueued jobs were new, and listen errors in words. */
import { describe, expect, it } from 'vitest'
import type { AttemptEnded } from '../../src/main/queue/scheduler-hooks'
import { EngineMetrics } from '../../src/main/telemetry/metrics'
import { listenProblem } from '../../src/main/telemetry/metrics-exporter'
import { BoundedLabel, MAX_LABEL_CHARS, categoryLabel, modelName } from '../../src/main/telemetry/metric-labels'
import type { StoreTotals } from '../../src/main/telemetry/metric-store'
import { negotiateFormat } from '../../src/main/telemetry/metrics-format'
import { METRICS } from '../../src/shared/metrics'
import { parseSamples, total } from '../support/prometheus-text'

describe('bounded labels', () => {
  it('keep values up to a number, then read new ones as "other"', () => {
    const label = new BoundedLabel(3)
    expect(['a', 'b', 'c', 'd', 'a', 'e'].map((value) => label.of(value))).toEqual(['a', 'b', 'c', 'other', 'a', 'other'])
  })

  it('cut long values, and read a missing one as empty', () => {
    const label = new BoundedLabel()
    const cut = label.of('m'.repeat(500))
    expect(cut).toHaveLength(MAX_LABEL_CHARS)
    expect(cut.endsWith('…')).toBe(true)
    expect(label.of(null)).toBe('')
  })

  it('name a local model by its file, not its folder', () => {
    expect(modelName('/home/alice/models/llama-3-8b.Q4_K_M.gguf')).toBe('llama-3-8b.Q4_K_M.gguf')
    expect(modelName('C:\\Users\\alice\\m.GGUF')).toBe('m.GGUF')
    expect(modelName('meta-llama/Llama-3-8B')).toBe('meta-llama/Llama-3-8B')
    expect(modelName(null)).toBe('')
  })

  it('take failure categories from the fixed list only', () => {
    expect(categoryLabel('RATE_LIMIT')).toBe('RATE_LIMIT')
    expect(categoryLabel('sk-live-1234 refused')).toBe('UNKNOWN')
  })
})

describe('format negotiation', () => {
  it("gives OpenMetrics to Prometheus's own Accept header, and the text format otherwise", () => {
    // What Prometheus 2.x sends on each scrape.
    const prometheus = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
    expect(negotiateFormat(prometheus)).toBe('openmetrics')
    expect(negotiateFormat('application/openmetrics-text')).toBe('openmetrics')
    expect(negotiateFormat(undefined)).toBe('prometheus')
    expect(negotiateFormat('*/*')).toBe('prometheus')
    expect(negotiateFormat('text/plain;version=0.0.4')).toBe('prometheus')
    expect(negotiateFormat('text/plain, application/openmetrics-text;q=0.5')).toBe('prometheus')
    // A version prom-client does not write is not taken.
    expect(negotiateFormat('application/openmetrics-text;version=0.0.1')).toBe('prometheus')
  })
})

describe('listen problems', () => {
  it('say what is wrong and what to do', () => {
    const error = (code: string) => Object.assign(new Error(`listen ${code}`), { code })
    expect(listenProblem(error('EADDRINUSE'), '127.0.0.1:9464')).toBe(
      'the metrics exporter cannot listen on 127.0.0.1:9464: the port is in use; set another port or turn the exporter off',
    )
    expect(listenProblem(error('EACCES'), '127.0.0.1:80')).toMatch(/cannot listen on 127\.0\.0\.1:80: permission denied/)
    expect(listenProblem(error('EOTHER'), 'h:1')).toBe('the metrics exporter cannot listen on h:1: listen EOTHER')
  })
})

describe('attempts as the metrics count them', () => {
  const metrics = (totals: StoreTotals = { usage: [], counts: [] }) =>
    new EngineMetrics({
      store: { totals: () => totals, takeExporterLease: () => true, releaseExporterLease: () => {} },
      queueStats: () => ({ counts: { queued: 0, delayed: 0, submitted: 0, active: 0, completed: 0, dead: 0, cancelled: 0 }, paused: false }),
      heldJobs: () => 0,
      pool: { threads: 1, utilization: 0, queuedTasks: 0 },
      breakers: () => [],
      dbSizeBytes: () => 0,
      budgetsUsed: () => [],
      freeDiskBytes: () => 0,
    })
  const attempt = (overrides: Partial<AttemptEnded>): AttemptEnded => ({
    id: 1,
    provider: 'work',
    kind: 'openai',
    model: 'gpt-test',
    readyAt: 1000,
    startedAt: 1250,
    endedAt: 3250,
    outcome: { ok: true, output: 'x', artifact: null, inputTokens: 10, outputTokens: 30, firstTokenMs: 400, durationMs: 2000 },
    refunded: false,
    costUsd: 0.25,
    ...overrides,
  })

  it('time what this process ran, by provider and the model that ran', async () => {
    const m = metrics()
    m.attemptEnded(attempt({}))
    m.attemptEnded(attempt({ costUsd: null }))
    const all = parseSamples(await m.text())
    expect(total(all, `${METRICS.jobWait}_sum`, { provider: 'work' })).toBe(0.5)
    expect(total(all, `${METRICS.requestDuration}_sum`, { provider: 'work' })).toBe(4)
    expect(total(all, `${METRICS.timeToFirstToken}_sum`, { provider: 'work' })).toBe(0.8)
    // Counting is the store's: what one process saw is not the truth when the CLI or another engine also writes.
    expect(total(all, METRICS.cost)).toBe(0)
    expect(total(all, METRICS.attempts)).toBe(0)
  })

  it("count cost, tokens, attempts and jobs from the store's totals; a price of zero still shows; a model path reads as its file", async () => {
    const m = metrics({
      usage: [
        { provider: 'work', model: 'gpt-test', inputTokens: 20, outputTokens: 60, costUsd: 0.25 },
        { provider: 'sim', model: '', inputTokens: 1, outputTokens: 2, costUsd: 0 },
        { provider: 'local', model: '/home/alice/models/tiny.gguf', inputTokens: 0, outputTokens: 0, costUsd: 0 },
      ],
      counts: [
        { metric: 'jobs_enqueued', provider: 'work', model: '', detail: '', n: 7 },
        { metric: 'jobs_finished', provider: 'work', model: '', detail: 'cancelled', n: 2 },
        { metric: 'attempts', provider: 'work', model: 'gpt-test', detail: 'none', n: 4 },
        { metric: 'attempts', provider: 'work', model: 'gpt-test', detail: 'RATE_LIMIT', n: 3 },
        { metric: 'intake_jobs', provider: '', model: '', detail: 'csv', n: 5 },
      ],
    })
    const all = parseSamples(await m.text())
    expect(total(all, METRICS.cost, { provider: 'work', model: 'gpt-test' })).toBe(0.25)
    expect(all.filter((sample) => sample.name === METRICS.cost && sample.labels.provider === 'sim')).toHaveLength(1)
    expect(total(all, METRICS.cost, { provider: 'local', model: 'tiny.gguf' })).toBe(0)
    expect(total(all, METRICS.tokens, { provider: 'work', direction: 'output' })).toBe(60)
    expect(total(all, METRICS.jobsEnqueued, { provider: 'work', model: '' })).toBe(7)
    expect(total(all, METRICS.jobsFinished, { outcome: 'cancelled' })).toBe(2)
    expect(total(all, METRICS.attempts, { result: 'ok', category: 'none' })).toBe(4)
    expect(total(all, METRICS.attempts, { result: 'error', category: 'RATE_LIMIT' })).toBe(3)
    expect(total(all, METRICS.intakeJobs, { format: 'csv' })).toBe(5)
    // Without an exporter nothing is labelled by engine: the lease and the label come with serving.
    expect(all.some((sample) => 'engine' in sample.labels)).toBe(false)
  })

  it('count nothing for a job a breaker handed back before it ran', async () => {
    const m = metrics()
    m.attemptEnded(attempt({ outcome: null, refunded: true, costUsd: null }))
    const all = parseSamples(await m.text())
    expect(total(all, `${METRICS.jobWait}_count`)).toBe(0)
  })
})
