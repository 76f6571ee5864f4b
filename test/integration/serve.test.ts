/** `genops serve` refuses what would expose the queue or hide a mistake, and opens the metrics exporter beside its API. */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { genops, genopsInBackground } from '../support/cli'
import { tempDir } from '../support/temp'

const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    await exited
  }
})

const READY = /^GenOps listening on (http:\/\/127\.0\.0\.1:\d+)\/\?token=([^&\s]+)/
const METRICS_AT = /^Metrics for Prometheus on (http:\/\/127\.0\.0\.1:\d+\/metrics)$/

/** `genops serve` in the background, once it printed a line for each pattern; with what it wrote to stderr meanwhile. */
async function serve(args: string[], expected: RegExp[]): Promise<{ stdout: string[]; stderr: () => string }> {
  const child = genopsInBackground(['serve', '--port', '0', '--data-dir', tempDir(), ...args])
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const stdout: string[] = []
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line)
      if (expected.every((pattern) => stdout.some((seen) => pattern.test(seen)))) resolve()
    })
    child.once('exit', (code) => reject(new Error(`genops serve exited (${code}): ${stderr}`)))
  })
  return { stdout, stderr: () => stderr }
}

/** The status of `POST /api/queueStats` at `api` with this Host header and token. */
function statusWithHost(api: string, host: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(api)
    const headers = { Host: host, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }
    const req = request({ host: hostname, port, method: 'POST', path: '/api/queueStats', headers }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end('{}')
  })
}

describe('genops serve', () => {
  it('refuses a non-loopback address without a configured token', () => {
    const result = genops(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0, which is not loopback, without a configured token')
  })

  it('says a busy port is busy instead of moving to another', async () => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const { port } = blocker.address() as { port: number }
    try {
      const result = genops(['serve', '--port', String(port), '--no-metrics', '--data-dir', tempDir()])
      expect(result.status).toBe(1)
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`)
    } finally {
      blocker.close()
    }
  })

  it('opens the metrics exporter on its own port and says where', async () => {
    const { stdout } = await serve(['--metrics-port', '0'], [READY, METRICS_AT])
    const api = stdout.map((line) => READY.exec(line)?.[1]).find(Boolean)!
    const url = stdout.map((line) => METRICS_AT.exec(line)?.[1]).find(Boolean)!
    expect(new URL(url).port).not.toBe(new URL(api).port)
    const response = await fetch(url)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('genops_build_info{version=')
  })

  it('starts with a busy metrics port, saying so, and with --no-metrics opens none', async () => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const { port } = blocker.address() as { port: number }
    try {
      const busy = await serve(['--metrics-port', String(port)], [READY])
      expect(busy.stdout.some((line) => METRICS_AT.test(line))).toBe(false)
      expect(busy.stderr()).toContain(
        `genops: the metrics exporter cannot listen on 127.0.0.1:${port}: the port is in use; set another port or turn the exporter off`,
      )
    } finally {
      blocker.close()
    }
    const none = await serve(['--no-metrics'], [READY])
    const api = none.stdout.map((line) => READY.exec(line)?.[1]).find(Boolean)!
    // The exporter's line comes right after the API's, in the same turn: by the API's first answer it would be there.
    expect((await fetch(`${api}/health/live`)).status).toBe(200)
    expect(none.stdout.some((line) => METRICS_AT.test(line))).toBe(false)
    expect(none.stderr()).not.toContain('metrics exporter')
  })

  it('answers the host names given with --allowed-host, or else GENOPS_ALLOWED_HOSTS, and no other', async () => {
    const started = async (args: string[]) => {
      const { stdout } = await serve(['--no-metrics', ...args], [READY])
      const [, api, token] = stdout.map((line) => READY.exec(line)).find(Boolean)!
      return (host: string) => statusWithHost(api!, host, decodeURIComponent(token!))
    }
    vi.stubEnv('GENOPS_ALLOWED_HOSTS', 'from-env.test, other.test')
    try {
      const flagged = await started(['--allowed-host', 'genops.test', '--allowed-host', 'Proxy.Test'])
      expect(await flagged('genops.test')).toBe(200)
      expect(await flagged('proxy.test:80')).toBe(200)
      expect(await flagged('localhost')).toBe(200)
      // The flag replaces the variable (flag > variable).
      expect(await flagged('from-env.test')).toBe(403)
      expect(await flagged('evil.example')).toBe(403)
      const fromEnvironment = await started([])
      expect(await fromEnvironment('from-env.test')).toBe(200)
      expect(await fromEnvironment('other.test')).toBe(200)
      expect(await fromEnvironment('genops.test')).toBe(403)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('refuses an --allowed-host that is not a host name alone', () => {
    const result = genops(['serve', '--allowed-host', 'https://genops.test', '--port', '0', '--no-metrics', '--data-dir', tempDir()])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain(
      "option '--allowed-host <name>' argument 'https://genops.test' is invalid. \"https://genops.test\" is not a host name: give the name alone, without a scheme, path or user",
    )
  })
})
