/**
 * Where the job detail's bars go: each attempt on one time axis shared by all of them, and
 * each attempt's trace as a waterfall (spans nested under their parent, offset from the
 * start of the attempt's trace, events as ticks). Fractions of the axis, 0 to 1; the
 * components turn them into percentages.
 */
import type { JobAttempt } from '../../../../shared/jobs'
import type { TraceSpan } from '../../../../shared/traces'

export interface Bar {
  /** Start on the axis, 0 to 1. */
  left: number
  /** Length on the axis, 0 to 1; never less than a sliver, so a very short span still shows. */
  width: number
}

const SLIVER = 0.004

function bar(start: number, end: number, axisStart: number, axisLength: number): Bar {
  if (axisLength <= 0) return { left: 0, width: 1 }
  const left = Math.min(1, Math.max(0, (start - axisStart) / axisLength))
  const width = Math.max(SLIVER, Math.min(1 - left, (end - start) / axisLength))
  return { left: Math.min(left, 1 - SLIVER), width }
}

export interface AttemptBar extends Bar {
  attempt: JobAttempt
  durationMs: number
}

/** Every attempt on one axis, from the first start to the last end. */
export function layoutAttempts(attempts: readonly JobAttempt[]): { rows: AttemptBar[]; spanMs: number } {
  if (attempts.length === 0) return { rows: [], spanMs: 0 }
  const start = Math.min(...attempts.map((a) => a.startedAt))
  const end = Math.max(...attempts.map((a) => a.endedAt))
  return {
    spanMs: end - start,
    rows: attempts.map((attempt) => ({
      attempt,
      durationMs: attempt.endedAt - attempt.startedAt,
      ...bar(attempt.startedAt, attempt.endedAt, start, end - start),
    })),
  }
}

export interface WaterfallRow extends Bar {
  span: TraceSpan
  depth: number
  /** From the start of the trace to the span's start. */
  offsetMs: number
  durationMs: number
  ticks: { name: string; at: number; offsetMs: number }[]
}

export interface Waterfall {
  traceId: string
  attempt: number
  startMs: number
  durationMs: number
  rows: WaterfallRow[]
}

/**
 * One waterfall per trace (an attempt's), in attempt order. Spans whose parent is not in
 * the trace (it was not kept) are shown at the top level rather than dropped.
 */
export function layoutTrace(spans: readonly TraceSpan[]): Waterfall[] {
  const byTrace = new Map<string, TraceSpan[]>()
  for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span])
  const waterfalls: Waterfall[] = []
  for (const [traceId, members] of byTrace) {
    const startMs = Math.min(...members.map((s) => s.startMs))
    const endMs = Math.max(...members.map((s) => s.endMs))
    const durationMs = endMs - startMs
    const ids = new Set(members.map((s) => s.spanId))
    const children = new Map<string | null, TraceSpan[]>()
    for (const span of members) {
      const parent = span.parentSpanId !== null && ids.has(span.parentSpanId) ? span.parentSpanId : null
      children.set(parent, [...(children.get(parent) ?? []), span])
    }
    const rows: WaterfallRow[] = []
    const seen = new Set<string>()
    const byStart = (a: TraceSpan, b: TraceSpan) => a.startMs - b.startMs || a.endMs - b.endMs
    const visit = (parent: string | null, depth: number) => {
      for (const span of [...(children.get(parent) ?? [])].sort(byStart)) show(span, depth)
    }
    const show = (span: TraceSpan, depth: number) => {
      // A span listed as its own ancestor would loop: each is shown once.
      if (seen.has(span.spanId)) return
      seen.add(span.spanId)
      rows.push({
        span,
        depth,
        offsetMs: span.startMs - startMs,
        durationMs: span.endMs - span.startMs,
        ...bar(span.startMs, span.endMs, startMs, durationMs),
        ticks: span.events.map((event) => ({
          name: event.name,
          offsetMs: event.timeMs - startMs,
          at: durationMs > 0 ? Math.min(1, Math.max(0, (event.timeMs - startMs) / durationMs)) : 0,
        })),
      })
      visit(span.spanId, depth + 1)
    }
    visit(null, 0)
    // Spans in a loop of parents are reached from no root: they show at the top level.
    for (const span of [...members].sort(byStart)) show(span, 0)
    waterfalls.push({ traceId, attempt: Math.min(...members.map((s) => s.attempt)), startMs, durationMs, rows })
  }
  return waterfalls.sort((a, b) => a.attempt - b.attempt || a.startMs - b.startMs)
}

/** Milliseconds as a person reads them: 0.4 ms, 12 ms, 1.3 s, 2 min 5 s. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(1)} ms`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}
