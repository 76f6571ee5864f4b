/**
 * A job's traces as the job detail's waterfall reads them: one trace per attempt, a root
 * span for the attempt and its phases as children. Times are milliseconds since the epoch,
 * fractional (phases can be shorter than a millisecond).
 */
import { z } from 'zod'

/** The spans of an attempt's trace, by name: the root and the phases under it. */
export const SPAN_NAMES = ['attempt', 'queue wait', 'provider call', 'validation', 'artifact write'] as const
export type SpanName = (typeof SPAN_NAMES)[number]

/** As OpenTelemetry has them: a scalar, or an array of one type. */
const AttributeValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.array(z.number()), z.array(z.boolean())])

export const TraceSpan = z.object({
  traceId: z.string(),
  spanId: z.string(),
  /** Null for an attempt's root span. */
  parentSpanId: z.string().nullable(),
  attempt: z.number().int(),
  name: z.string(),
  startMs: z.number(),
  endMs: z.number(),
  status: z.enum(['unset', 'ok', 'error']),
  /** Why the span failed (redacted like the logs). */
  statusMessage: z.string().nullable(),
  /** OpenTelemetry attributes: gen_ai.* (GenAI semantic conventions) and genops.*. */
  attributes: z.record(z.string(), AttributeValue),
  events: z.array(z.object({ name: z.string(), timeMs: z.number() })),
})
export type TraceSpan = z.infer<typeof TraceSpan>

/** A span as the store keeps it: with the job it belongs to. */
export interface StoredSpan extends TraceSpan {
  jobId: number
}

export const JobTrace = z.object({
  jobId: z.number().int(),
  /** Every stored span of the job's attempts, by attempt, then start time. */
  spans: z.array(TraceSpan),
})
export type JobTrace = z.infer<typeof JobTrace>
