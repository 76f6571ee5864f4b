/**
 * Headless mode's HTTP face: the built renderer, the contract's operations under /api/,
 * and the engine's events as server-sent events. Loopback by default; every /api/
 * request needs the session token; a Host header that is not ours is refused, so a web
 * page cannot reach the API through DNS rebinding (http-guards.ts says what is ours).
 * Beyond loopback the health report needs the token too.
 */
import { createReadStream, existsSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import sirv from 'sirv'
import { contract, OperationError, type ErrorCode, type OperationFailure, type OperationName } from '../../shared/contract'
import { MAX_INTAKE_BODY_BYTES } from '../../shared/intake'
import { HEADLESS_CSP } from '../../shared/csp'
import { EXPORT_FILE_NAME, exportsDir } from '../batches/operations'
import { bundlesDir } from '../diagnostics/bundle-writer'
import type { Engine } from '../engine'
import { exporterListening } from '../health/checks'
import { healthAnswer, healthOpenWithoutToken, isHealthPath } from './health-endpoints'
import { bearerMatches, hostGuard, isLoopback } from './http-guards'

export { isLoopback } from './http-guards'

export interface ServerOptions {
  engine: Engine
  host: string
  /** Host names requests may give beyond the machine's own addresses (--allowed-host), as allowedHostName gives them. */
  allowedHosts?: readonly string[]
  /** 0 picks a free port. */
  port: number
  token: string
  rendererDir: string
  /** Largest request body accepted, in bytes. Default 64 MiB (a 200,000-job enqueue fits). */
  maxBodyBytes?: number
}

export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

/** Operations whose body may be larger than maxBodyBytes: a dropped file, base64-encoded, up to MAX_INTAKE_BODY_BYTES. */
const LARGE_BODY_OPERATIONS: ReadonlySet<string> = new Set(['previewIntake'] satisfies OperationName[])

const STATUS: Record<ErrorCode, number> = { INVALID_INPUT: 400, UNAUTHORIZED: 401, NOT_FOUND: 404, CONFLICT: 409, INTERNAL: 500 }

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  // The page's own policy (its meta tag says the same), plus what only a header can say.
  'Content-Security-Policy': HEADLESS_CSP,
}

const EXPORT_TYPES: Record<string, string> = {
  '.csv': 'text/csv; charset=utf-8',
  '.jsonl': 'application/jsonl',
  '.parquet': 'application/vnd.apache.parquet',
  '.zip': 'application/zip',
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { engine, token } = options
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024
  const hosts = hostGuard({ host: options.host, allowedHosts: options.allowedHosts })
  const onLoopback = isLoopback(options.host)
  const tokenBytes = Buffer.from(token)
  const staticFiles = existsSync(join(options.rendererDir, 'index.html')) ? sirv(options.rendererDir, { etag: true, dev: false, single: false }) : null
  const streams = new Set<ServerResponse>()

  const authorized = (request: IncomingMessage): boolean => bearerMatches(request, tokenBytes)

  const server = createServer((request, response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value)
    handle(request, response).catch((error: unknown) => fail(response, error))
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!hosts.allows(request.headers.host)) {
      throw new HttpError(403, 'UNAUTHORIZED', `host "${request.headers.host ?? ''}" is not allowed: ${hosts.advice}`)
    }
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (isHealthPath(url.pathname)) {
      // Probes on loopback (Prometheus, a supervisor) carry no token; the Host check above still applies.
      if (!healthOpenWithoutToken(url.pathname, onLoopback) && !authorized(request)) {
        throw new HttpError(
          401,
          'UNAUTHORIZED',
          `missing or wrong token: beyond loopback ${url.pathname} needs Authorization: Bearer <token> (/health/live does not)`,
        )
      }
      return serveHealth(request, response, url.pathname)
    }
    if (!url.pathname.startsWith('/api/')) return serveStatic(request, response)
    if (!authorized(request)) throw new HttpError(401, 'UNAUTHORIZED', 'missing or wrong token: use the URL GenOps printed when it started')
    const name = url.pathname.slice('/api/'.length)
    if (name === 'events') return streamEvents(request, response)
    if (name.startsWith('exports/') && request.method === 'GET') return serveFile(response, exportsDir(engine.dataDir), name.slice('exports/'.length))
    if (name.startsWith('bundles/') && request.method === 'GET') return serveFile(response, bundlesDir(engine.dataDir), name.slice('bundles/'.length))
    if (!Object.hasOwn(contract, name)) throw new HttpError(404, 'NOT_FOUND', `no operation named "${name}"`)
    if (request.method !== 'POST') throw new HttpError(405, 'INVALID_INPUT', `${name} takes POST with a JSON body`)
    const input = await readJson(request, LARGE_BODY_OPERATIONS.has(name) ? Math.max(maxBodyBytes, MAX_INTAKE_BODY_BYTES) : maxBodyBytes)
    if (namesKeyFile(name, input) && !isLoopback((request.socket.remoteAddress ?? '').replace(/^::ffff:/, ''))) {
      // A key file is read by this engine and sent to the profile's endpoint: only someone at this machine may point at one.
      throw new HttpError(
        403,
        'UNAUTHORIZED',
        "a profile's key file is a file on this machine: name it from this machine (genops providers add, or the window on 127.0.0.1)",
      )
    }
    const output = await engine.call(name as OperationName, input)
    sendJson(response, 200, output)
  }

  /**
   * A batch export the window asked for (exportBatch) or a bundle `genops --server URL bundle`
   * asked for (exportBundle), by its file name in <dataDir>/exports or <dataDir>/bundles: nothing outside that folder.
   */
  async function serveFile(response: ServerResponse, dir: string, file: string): Promise<void> {
    // Export and bundle names need no escapes (EXPORT_FILE_NAME): one that has any is none of ours.
    if (!EXPORT_FILE_NAME.test(file)) throw new HttpError(404, 'NOT_FOUND', 'no such export')
    const path = join(dir, file)
    const size = await stat(path).then(
      (info) => (info.isFile() ? info.size : null),
      () => null,
    )
    if (size === null) throw new HttpError(404, 'NOT_FOUND', `no export named ${file}`)
    response.writeHead(200, {
      'Content-Type': EXPORT_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Content-Disposition': `attachment; filename="${file}"`,
      'Cache-Control': 'no-store',
    })
    await pipeline(createReadStream(path), response)
  }

  async function serveHealth(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
    const { status, body } = await healthAnswer(engine.health, request.method, path)
    sendJson(response, status, body)
  }

  function serveStatic(request: IncomingMessage, response: ServerResponse): void {
    if (!staticFiles) {
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
      response.end('The renderer is not built: run `npm run build`, then start again.\n')
      return
    }
    staticFiles(request, response, () => {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      response.end('Not found\n')
    })
  }

  async function streamEvents(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
    const send = (type: string, data: unknown) => response.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`)
    streams.add(response)
    const unsubscribe = engine.subscribe((event) => send(event.type, event.data))
    // Comments keep idle connections open through proxies and let a client notice a dead server.
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), 15_000)
    keepAlive.unref()
    request.on('close', () => {
      clearInterval(keepAlive)
      unsubscribe()
      streams.delete(response)
    })
    send('counts', await engine.call('queueStats', {}))
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host
  // Named apart from the engine's metrics exporter, whose check this must not replace.
  const listening = exporterListening(() => ({ listening: server.listening, address: `${shownHost}:${port}` }), { name: 'api' })
  engine.health.register(listening)
  return {
    url: `http://${shownHost}:${port}/?token=${encodeURIComponent(token)}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end()
        // Only ours: another server may have registered its own since.
        if (engine.health.get(listening.name) === listening) engine.health.unregister(listening.name)
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function readJson(request: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > limit) throw new HttpError(413, 'INVALID_INPUT', `the request body is over ${limit} bytes`)
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  // Only JSON is read: a form post from a web page (no preflight) is not an API call.
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new HttpError(415, 'INVALID_INPUT', 'send the input as application/json')
  }
  try {
    // How deep it may nest is checked where every face's input meets the contract (operations.ts invoke).
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (error) {
    throw new HttpError(400, 'INVALID_INPUT', `the body is not valid JSON (${(error as Error).message})`)
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
  response.end(JSON.stringify(body))
}

function fail(response: ServerResponse, error: unknown): void {
  const [status, code, message] =
    error instanceof HttpError
      ? [error.status, error.code, error.message]
      : error instanceof OperationError
        ? [STATUS[error.code], error.code, error.message]
        : [500, 'INTERNAL' as const, error instanceof Error ? error.message : String(error)]
  if (status === 500) console.error('genops: request failed:', error)
  if (response.headersSent) {
    response.end()
    return
  }
  sendJson(response, status, { error: { code, message } } satisfies OperationFailure)
}

/** A request that would have the engine read a file it names, as a key. */
const namesKeyFile = (operation: string, input: unknown): boolean =>
  operation === 'saveProvider' && typeof input === 'object' && input !== null && (input as { keyFile?: unknown }).keyFile !== undefined
