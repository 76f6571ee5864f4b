/**
 * A real Prometheus (Debian's `prometheus` package) scrapes the engine's exporter every
 * second on loopback, and what it stored, read back through its HTTP query API, matches
 * what the engine finished. Prometheus asks for OpenMetrics, so this also proves that
 * format against a real parser. Skipped, saying so, where the binary is not installed
 * (never under CI=true: test/support/prometheus.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { METRICS } from '../../src/shared/metrics'
import { dashboardQueries } from '../support/dashboard'
import { SKIP_WITHOUT_PROMETHEUS, startPrometheus, type RunningPrometheus } from '../support/prometheus'
import { waitFor } from '../support/wait'

// Made here, not with tempDir(): that one is removed after each test, and these live for the file.
const dir = mkdtempSync(join(tmpdir(), 'genops-prometheus-'))
let engine: Engine | undefined
let prometheus: RunningPrometheus | undefined
const query = (promql: string) => prometheus!.query(promql)

describe.skipIf(SKIP_WITHOUT_PROMETHEUS)('a real Prometheus scraping the exporter', () => {
  beforeAll(async () => {
    engine = await createEngine({
      dataDir: join(dir, 'data'),
      threads: 1,
      pollMs: 50,
      backoff: { baseMs: 10, maxMs: 20 },
      metrics: { exporter: { enabled: true, port: 0 } },
    })
    prometheus = await startPrometheus(dir, [`127.0.0.1:${engine.exporterAddress!.port}`])
  }, 60_000)

  afterAll(async () => {
    await prometheus?.stop()
    await engine?.close(1000)
    rmSync(dir, { recursive: true, force: true })
  })

  it('stores genops_jobs_finished_total as the engine finished the jobs, by outcome', async () => {
    await engine!.call('enqueueJobs', {
      jobs: [
        ...Array.from({ length: 15 }, (_, i) => ({ prompt: `ok ${i}` })),
        ...Array.from({ length: 3 }, (_, i) => ({ prompt: `retried ${i}`, config: { failAttempts: 1 } })),
        ...Array.from({ length: 2 }, (_, i) => ({ prompt: `down ${i}`, attempts: 2, config: { faults: { unavailable: 1 } } })),
      ],
    })
    const { counts } = await waitFor(
      () => engine!.call('queueStats', {}),
      (stats) => stats.counts.completed + stats.counts.dead === 20,
      { what: 'the engine to finish 20 jobs' },
    )
    expect(counts).toMatchObject({ completed: 18, dead: 2 })

    const byOutcome = await waitFor(
      async () => Object.fromEntries((await query(`sum by (outcome) (${METRICS.jobsFinished})`)).map((series) => [series.metric.outcome, series.value])),
      (seen) => seen.completed === counts.completed && seen.dead === counts.dead,
      { what: 'Prometheus to store what the engine finished', timeoutMs: 25_000 },
    )
    expect(byOutcome).toEqual({ completed: 18, dead: 2 })
    expect(await query(`up{job="genops"}`)).toEqual([{ metric: expect.objectContaining({ job: 'genops' }) as unknown, value: 1 }])
    // The attempts by category, as a dashboard reads them: 3 retried once, 2 failing twice.
    const failures = await query(`sum by (category) (${METRICS.attempts}{result="error"})`)
    expect(failures).toEqual([{ metric: { category: 'SERVICE_UNAVAILABLE' }, value: 7 }])
  }, 60_000)

  it('runs every query of the Grafana dashboard, and the throughput, queue and latency panels have data', async () => {
    const answered = async () => {
      const series = new Map<string, number>()
      for (const { title, expr } of dashboardQueries()) {
        // Grafana's variables as "All" and its rate interval as a window that holds the run above.
        const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$provider', '.*').replaceAll('$model', '.*')
        series.set(title, (series.get(title) ?? 0) + (await query(promql)).length)
      }
      return series
    }
    const titles = [
      'Jobs finished per second, by outcome',
      'Failed attempts per second, by category',
      'Jobs by state',
      'Provider request duration p50 / p95 / p99',
    ]
    // A rate needs two scrapes of a series: the counters appeared only as the jobs above finished.
    const series = await waitFor(answered, (seen) => titles.every((title) => (seen.get(title) ?? 0) > 0), {
      what: 'the dashboard panels to have data',
      timeoutMs: 15_000,
    })
    expect(series.size).toBe(new Set(dashboardQueries().map(({ title }) => title)).size)
  }, 30_000)
})
