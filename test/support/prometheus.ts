/**
 * A real Prometheus (Debian's `prometheus` package) for tests: it scrapes the given
 * targets every second on loopback, with its own port and storage, and answers PromQL
 * through its HTTP query API. Where the binary is missing a test skips, saying so; under
 * CI=true it does not skip, so a CI image without it fails instead of passing unseen.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { freePort } from './ports'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from './wait'

const INSTALLED = spawnSync('prometheus', ['--version']).status === 0
/** Skip a real-Prometheus test: only where it is not installed, and never under CI. */
export const SKIP_WITHOUT_PROMETHEUS = !INSTALLED && process.env.CI !== 'true'
if (SKIP_WITHOUT_PROMETHEUS) console.warn('prometheus is not installed (apt-get install prometheus): skipping the tests against a real Prometheus')

export interface RunningPrometheus {
  url: string
  /** One PromQL query: each series' labels and value. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]>
  stop(): Promise<void>
}

/** Starts Prometheus scraping `targets` (host:port) every second, its files in `dir`; resolves once it is ready. */
export async function startPrometheus(dir: string, targets: readonly string[]): Promise<RunningPrometheus> {
  const config = join(dir, 'prometheus.yml')
  const list = targets.map((target) => `'${target}'`).join(', ')
  writeFileSync(
    config,
    ['global:', '  scrape_interval: 1s', 'scrape_configs:', '  - job_name: genops', '    static_configs:', `      - targets: [${list}]`, ''].join('\n'),
  )
  const listen = `127.0.0.1:${await freePort()}`
  const url = `http://${listen}`
  let output = ''
  const prometheus: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${config}`, `--web.listen-address=${listen}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  prometheus.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  prometheus.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const stop = async () => {
    if (prometheus.exitCode !== null || prometheus.signalCode !== null) return
    const exited = once(prometheus, 'exit')
    prometheus.kill('SIGTERM')
    await exited
  }
  await waitFor(
    () =>
      fetch(`${url}/-/ready`).then(
        (response) => response.status,
        () => 0,
      ),
    (status) => status === 200 || prometheus.exitCode !== null,
    { what: 'Prometheus to be ready' },
  )
  if (prometheus.exitCode !== null) throw new Error(`prometheus exited (${prometheus.exitCode}): ${output}`)
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)
      const body = (await response.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } }
      if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`)
      return body.data.result.map((series) => ({ metric: series.metric, value: Number(series.value[1]) }))
    },
    stop,
  }
}
