/**
 * The common part of the fake providers: a real node:http server on 127.0.0.1 (port 0)
 * that records every request, including whether the client went away before the response
 * was complete, which is how the tests see that a cancel really stopped the HTTP call.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** The JSON body, parsed. */
  body: Record<string, unknown>
  /** The client closed the connection before the response was complete. */
  disconnected: boolean
  /** The response was sent in full. */
  finished: boolean
}

export interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  record: RecordedRequest
  /** Waits, unless the client leaves first; answers whether the client is still there. */
  pause(ms: number): Promise<boolean>
  /** Writes if the client is still there. */
  write(chunk: string): boolean
  /** Cuts the connection mid-response, as a crashed server or a dropped proxy would, once what was written has gone out. */
  disconnect(): Promise<void>
}

export interface FakeServer {
  /** The origin, http://127.0.0.1:PORT. */
  origin: string
  requests: RecordedRequest[]
  close(): Promise<void>
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  } catch {
    return { unparsed: text }
  }
}

export interface FakeServerOptions {
  /**
   * How long an idle kept-alive connection stays open. Node's default (5 s) is close to the
   * client's own (undici: 4 s): a server that keeps its clients idle for seconds (a quota
   * held) then closes sockets the client is just reusing. Hosted providers keep them longer.
   */
  keepAliveTimeoutMs?: number
}

export async function startFakeServer(handle: (exchange: Exchange) => Promise<void>, options: FakeServerOptions = {}): Promise<FakeServer> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    void (async () => {
      const record: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: {}, disconnected: false, finished: false }
      requests.push(record)
      const gone = new AbortController()
      res.on('finish', () => (record.finished = true))
      res.on('close', () => {
        if (!res.writableFinished) record.disconnected = true
        gone.abort()
      })
      record.body = await readBody(req)
      const pause = async (ms: number) => {
        try {
          await sleep(ms, undefined, { signal: gone.signal })
        } catch {
          return false
        }
        return !gone.signal.aborted
      }
      const exchange: Exchange = {
        req,
        res,
        record,
        pause,
        write(chunk) {
          if (res.destroyed) return false
          res.write(chunk)
          return true
        },
        async disconnect() {
          // Writes are flushed on a later turn: destroying at once could cut the stream before its first byte.
          await pause(50)
          res.socket?.destroy()
        },
      }
      try {
        await handle(exchange)
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: { message: `fake server failed: ${String(error)}` } }))
      }
    })()
  })
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** An error response in one go, with its headers (Retry-After and friends). */
export function sendError(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** The text split the way a model streams it: one word (with its space) a chunk, about a token each. */
export function tokens(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? []
}
