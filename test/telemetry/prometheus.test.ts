/**
 * A real Prometheus (Debian's `prometheus` package) scrapes the engine's exporter every
 * second on loopback, and what it stored, read back through its HTTP query API, matches
 * what the engine finished. Prometheus asks for OpenMetrics, so this also proves that
 * format against a real parser. Skipped, saying so, where the binary is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../src/main/engine'
import { METRICS } from '../../src/shared/metrics'
import { dashboardQueries } from '../support/dashboard'
import { waitFor } from '../support/wait'

const PROMETHEUS = spawnSync('prometheus', ['--version']).status === 0
if (!PROMETHEUS) console.warn('prometheus is not installed (apt-get install prometheus): skipping the test against a real Prometheus')

// Made here, not with tempDir(): that one is removed after each test, and these live for the file.
const dir = mkdtempSync(join(tmpdir(), 'genops-prometheus-'))
let engine: Engine | undefined
let prometheus: ChildProcess | undefined
let prometheusUrl = ''
let output = ''

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** One PromQL query: each series' labels and value. */
async function query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`)
  const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } }
  if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`)
  return body.data.result.map((series) => ({ metric: series.metric, value: Number(series.value[1]) }))
}

describe.skipIf(!PROMETHEUS)('a real Prometheus scraping the exporter', () => {
  beforeAll(async () => {
    engine = await createEngine({
      dataDir: join(dir, 'data'),
      threads: 1,
      pollMs: 50,
      backoff: { baseMs: 10, maxMs: 20 },
      metrics: { exporter: { enabled: true, port: 0 } },
    })
    const target = `127.0.0.1:${engine.exporterAddress!.port}`
    const config = join(dir, 'prometheus.yml')
    writeFileSync(
      config,
      ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: genops', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
    )
    const listen = `127.0.0.1:${await freePort()}`
    prometheusUrl = `http://${listen}`
    prometheus = spawn(
      'prometheus',
      [`--config.file=${config}`, `--web.listen-address=${listen}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    prometheus.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    prometheus.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await waitFor(
      () =>
        fetch(`${prometheusUrl}/-/ready`).then(
          (response) => response.status,
          () => 0,
        ),
      (status) => status === 200 || prometheus!.exitCode !== null,
      { what: 'Prometheus to be ready' },
    )
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited (${prometheus.exitCode}): ${output}`)
  }, 60_000)

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = once(prometheus, 'exit')
      prometheus.kill('SIGTERM')
      await exited
    }
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
