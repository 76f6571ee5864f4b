/**
 * Export over OTLP/HTTP (JSON), when an endpoint is configured: the SDK's BatchSpanProcessor
 * and OTLPTraceExporter carry the spans to a collector, Jaeger, Tempo, Phoenix or Langfuse.
 *
 * The spans were timed before they reach here (the phases in a worker, the rest by the
 * scheduler), so they enter the SDK as finished ReadableSpans with the ids the attempt ran
 * under: the same ids the provider saw in its traceparent and the waterfall shows.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type SpanContext } from '@opentelemetry/api'
import { ExportResultCode, hrTimeDuration, millisToHrTime, type ExportResult } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources'
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'
import type { StoredSpan } from '../../shared/traces'

export interface OtlpExport {
  export(spans: readonly StoredSpan[]): void
  /** Sends what is queued and stops. */
  shutdown(): Promise<void>
}

/**
 * Where traces go: `endpoint` (the collector's base URL, as OTEL_EXPORTER_OTLP_ENDPOINT is:
 * /v1/traces is added), else what the standard OTEL_EXPORTER_OTLP_* variables say; null when
 * neither names one, and nothing is exported.
 */
export function otlpTracesUrl(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/v1/traces`
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim()
  if (signal) return signal
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : null
}

const SCOPE = { name: 'genops' }

export function startOtlpExport(url: string, onError: (error: Error) => void): OtlpExport {
  const exporter = new OTLPTraceExporter({ url })
  const processor = new BatchSpanProcessor(reporting(exporter, onError), {
    // A drain ends thousands of attempts a second: a queue that holds a few seconds of spans, sent in large requests.
    maxQueueSize: 16_384,
    maxExportBatchSize: 1024,
    scheduledDelayMillis: 1000,
  })
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win, as every OpenTelemetry SDK lets them.
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'genops' }).merge(detectResources({ detectors: [envDetector] }))
  return {
    export(spans) {
      for (const span of spans) processor.onEnd(readable(span, resource))
    },
    shutdown: () => processor.shutdown(),
  }
}

/** The exporter, with failed exports reported: the SDK would only tell its own diagnostic logger, which is silent. */
function reporting(exporter: SpanExporter, onError: (error: Error) => void): SpanExporter {
  return {
    export(spans, done) {
      exporter.export(spans, (result: ExportResult) => {
        if (result.code !== ExportResultCode.SUCCESS) onError(result.error ?? new Error('the OTLP export failed'))
        done(result)
      })
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  }
}

const STATUS = { unset: SpanStatusCode.UNSET, ok: SpanStatusCode.OK, error: SpanStatusCode.ERROR } as const

function readable(span: StoredSpan, resource: Resource): ReadableSpan {
  const context: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED }
  const startTime = millisToHrTime(span.startMs)
  const endTime = millisToHrTime(span.endMs)
  return {
    name: span.name,
    // The provider call leaves the process; the rest happens inside it.
    kind: span.name === 'provider call' ? SpanKind.CLIENT : SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanContext: span.parentSpanId === null ? undefined : { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED },
    startTime,
    endTime,
    duration: hrTimeDuration(startTime, endTime),
    status: span.statusMessage === null ? { code: STATUS[span.status] } : { code: STATUS[span.status], message: span.statusMessage },
    attributes: span.attributes,
    links: [],
    events: span.events.map((event) => ({ name: event.name, time: millisToHrTime(event.timeMs) })),
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  }
}
