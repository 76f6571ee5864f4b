/**
 * The metrics exporter: the engine's own HTTP server, on 127.0.0.1:9464 unless configured,
 * serving /metrics (the Prometheus text format, or OpenMetrics when the scraper asks) and
 * the health endpoints. A port already in use is said, logged and shown as a failed
 * `exporter` health check, never worked around by moving to another port: a Prometheus
 * configured for 9464 would scrape whatever holds it. The engine runs on either way.
 *
 * Guards (api/http-guards.ts, as the API server's): it listens on loopback unless configured
 * with a token; on loopback a Host header that is not ours is refused (DNS rebinding).
 * Beyond loopback the token decides, not the Host header: a remote Prometheus names the
 * machine as it knows it, and every answer there but liveness needs the token, which a
 * rebinding page cannot send. With a token, /metrics and /health need
 * `Authorization: Bearer <token>`; the probe /health/live never does, /health/ready only
 * beyond loopback (health-endpoints.ts says why).
 *
 * An exporter that listens takes part in the exporter lease (exporter-lease.ts): of the
 * engines on one store, only the holder serves the store-wide series.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exporterListening } from '../health/checks'
import type { HealthRegistry } from '../health/registry'
import { healthAnswer, healthOpenWithoutToken, isHealthPath } from '../api/health-endpoints'
import { bearerMatches, hostGuard, isLoopback } from '../api/http-guards'
import { DEFAULT_EXPORTER_LEASE, type ExporterLease, type ExporterLeaseOptions } from './exporter-lease'
import type { EngineMetrics } from './metrics'
import type { ExporterOptions } from './metrics-config'
import { CONTENT_TYPES, negotiateFormat } from './metrics-format'

export interface ExporterParts {
  /** Null when metrics are off: /metrics then answers 404, the health endpoints still answer. */
  metrics: EngineMetrics | null
  health: HealthRegistry
  /** Told why the exporter could not listen, and of requests that failed. */
  onError(message: string): void
  /** The engine's lease owner id: the exporter lease's owner and the per-process series' `engine` label. */
  owner?: string
  /** Default: renewed every 10 s, lasting 30 s. */
  lease?: ExporterLeaseOptions
}

export interface ExporterAddress {
  host: string
  port: number
  /** Where Prometheus scrapes: http://127.0.0.1:9464/metrics. */
  url: string
}

export interface RunningExporter {
  /** Null when it could not listen (the health check says why). */
  readonly address: ExporterAddress | null
  close(): Promise<void>
}

const PROBES = new Set(['/health/live', '/health/ready'])
const HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' }

export async function startExporter(options: ExporterOptions, parts: ExporterParts): Promise<RunningExporter> {
  const { metrics, health } = parts
  const onLoopback = isLoopback(options.host)
  const hosts = onLoopback ? hostGuard({ host: options.host }) : null
  const token = options.token === undefined ? null : Buffer.from(options.token)
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      parts.onError(`a metrics exporter request failed: ${error instanceof Error ? error.message : String(error)}`)
      if (response.headersSent) response.end()
      else answer(response, 500, 'the exporter failed to answer: see the log\n')
    })
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (hosts && !hosts.allows(request.headers.host)) return answer(response, 403, `host "${request.headers.host ?? ''}" is not allowed: ${hosts.advice}\n`)
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const probe = PROBES.has(path) && healthOpenWithoutToken(path, onLoopback)
    if (token && !probe && !bearerMatches(request, token)) {
      response.setHeader('WWW-Authenticate', 'Bearer')
      return answer(response, 401, 'missing or wrong token: send Authorization: Bearer <metrics.exporter.token>\n')
    }
    if (isHealthPath(path)) {
      const { status, body } = await healthAnswer(health, request.method, path)
      response.writeHead(status, { ...HEADERS, 'Content-Type': 'application/json; charset=utf-8' })
      response.end(JSON.stringify(body))
      return
    }
    if (path !== '/metrics') return answer(response, 404, 'not found: the exporter serves /metrics, /health, /health/live and /health/ready\n')
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, '/metrics takes GET\n')
    if (!metrics) return answer(response, 404, 'metrics are off in this engine (metrics.enabled is false)\n')
    const format = negotiateFormat(request.headers.accept)
    const text = await metrics.text(format)
    response.writeHead(200, { ...HEADERS, 'Content-Type': CONTENT_TYPES[format] })
    response.end(request.method === 'HEAD' ? undefined : text)
  }

  const listening = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    server.once('error', resolve)
    server.listen(options.port, options.host, () => {
      server.off('error', resolve)
      resolve(null)
    })
  })
  if (listening) {
    const problem = listenProblem(listening, `${shownHost}:${options.port}`)
    parts.onError(problem)
    health.register(exporterListening(() => ({ listening: false, address: null, problem })))
    return { address: null, close: async () => {} }
  }

  const port = (server.address() as AddressInfo).port
  const address = { host: options.host, port, url: `http://${shownHost}:${port}/metrics` }
  const check = exporterListening(() => ({ listening: server.listening, address: `${shownHost}:${port}` }))
  health.register(check)
  const lease = metrics && parts.owner !== undefined ? await takeLease(metrics, parts) : null
  return {
    address,
    close: async () => {
      // Given up first: a standby engine's next scrape takes the store-wide series over.
      await lease?.release()
      await new Promise<void>((resolve) => {
        if (health.get(check.name) === check) health.unregister(check.name)
        server.close(() => resolve())
        // Prometheus keeps its scrape connection open between scrapes: a stop must not wait for it.
        server.closeAllConnections()
      })
    },
  }
}

async function takeLease(metrics: EngineMetrics, parts: ExporterParts): Promise<ExporterLease> {
  const onError = (error: unknown, during: string) => parts.onError(`${during}: ${error instanceof Error ? error.message : String(error)}`)
  const lease = metrics.exportAs(parts.owner!, parts.lease ?? DEFAULT_EXPORTER_LEASE, onError)
  // At once, so the first scrape of the first engine already finds it held.
  await lease.holds()
  return lease
}

function answer(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' })
  response.end(text)
}

/** Why the exporter cannot listen, in words an operator can act on. */
export function listenProblem(error: NodeJS.ErrnoException, where: string): string {
  const cannot = `the metrics exporter cannot listen on ${where}`
  switch (error.code) {
    case 'EADDRINUSE':
      return `${cannot}: the port is in use; set another port or turn the exporter off`
    case 'EACCES':
      return `${cannot}: permission denied (ports below 1024 need privileges); set another port or turn the exporter off`
    case 'EADDRNOTAVAIL':
      return `${cannot}: no network interface of this machine has that address; set another host or turn the exporter off`
    default:
      return `${cannot}: ${error.message}`
  }
}
