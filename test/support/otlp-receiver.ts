/**
 * A test OTLP/HTTP receiver: a real node:http server on 127.0.0.1 (port 0) taking
 * POST /v1/traces in the JSON encoding, as a collector, Jaeger or Tempo would, and keeping
 * the spans it was sent, flattened, with their attributes read into plain values.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  doubleValue?: number
  boolValue?: boolean
}
interface OtlpAttribute {
  key: string
  value: OtlpValue
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes?: OtlpAttribute[]
  events?: { name: string; timeUnixNano: string }[]
  status?: { code?: number; message?: string }
}
interface OtlpRequest {
  resourceSpans: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans: { scope?: { name: string }; spans: OtlpSpan[] }[] }[]
}

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string | null
  name: string
  kind: number
  startMs: number
  endMs: number
  attributes: Record<string, unknown>
  events: { name: string; timeMs: number }[]
  status: { code: number; message: string | null }
  resource: Record<string, unknown>
  scope: string | null
}

export interface OtlpReceiver {
  origin: string
  spans: ReceivedSpan[]
  requests: { path: string; headers: IncomingHttpHeaders }[]
  close(): Promise<void>
}

function valueOf(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.boolValue !== undefined) return value.boolValue
  return value
}

const attributesOf = (list: OtlpAttribute[] = []) => Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]))
const ms = (nanos: string) => Number(BigInt(nanos) / 1000n) / 1000

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = []
  const requests: OtlpReceiver['requests'] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers })
      if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
        res.writeHead(415).end()
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest
      for (const { resource, scopeSpans } of body.resourceSpans) {
        for (const { scope, spans: sent } of scopeSpans) {
          for (const span of sent) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || null,
              name: span.name,
              kind: span.kind,
              startMs: ms(span.startTimeUnixNano),
              endMs: ms(span.endTimeUnixNano),
              attributes: attributesOf(span.attributes),
              events: (span.events ?? []).map((event) => ({ name: event.name, timeMs: ms(event.timeUnixNano) })),
              status: { code: span.status?.code ?? 0, message: span.status?.message ?? null },
              resource: attributesOf(resource?.attributes),
              scope: scope?.name ?? null,
            })
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
