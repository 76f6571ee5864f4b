/**
 * The phases of one attempt (provider call, validation, artifact write) timed in the worker
 * for the attempt's trace. The worker only measures: the spans go back with the outcome and
 * the main thread records them under the attempt's span (workers never write the database).
 *
 * Times are wall-clock milliseconds anchored once per attempt and advanced by the monotonic
 * clock, so they line up with the main thread's Date.now() to about a millisecond while
 * keeping sub-millisecond phases measurable.
 */
import type { PhaseSpan } from './protocol'

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/

const idBytes = Buffer.alloc(8)
/**
 * A span id as the OpenTelemetry SDK's RandomIdGenerator makes one, from Math.random: ids
 * need to be unique, not secret, and crypto.randomBytes costs several microseconds a call
 * (measured: 6-8 µs on a small VM), which a drain of thousands of attempts a second feels.
 */
function newSpanId(): string {
  do {
    idBytes.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, 0)
    idBytes.writeUInt32BE((Math.random() * 2 ** 32) >>> 0, 4)
  } while (idBytes.readBigUInt64BE(0) === 0n) // all zeros is not a valid id
  return idBytes.toString('hex')
}

export class PhaseClock {
  readonly spans: PhaseSpan[] = []
  private readonly wallStart = Date.now()
  private readonly monoStart = performance.now()
  private open: PhaseSpan | null = null

  private constructor(
    private readonly traceId: string,
    /** The trace flags as the scheduler set them: whether the trace is sampled. */
    private readonly flags: string,
  ) {}

  /** A clock for the attempt whose span the traceparent names; none when traces are off (or the header is not one). */
  static for(traceparent: string | undefined): PhaseClock | null {
    const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent)
    return match ? new PhaseClock(match[1]!, match[2]!) : null
  }

  now(): number {
    return this.wallStart + (performance.now() - this.monoStart)
  }

  begin(name: PhaseSpan['name']): PhaseSpan {
    this.end()
    const span: PhaseSpan = { spanId: newSpanId(), name, startMs: this.now(), endMs: 0 }
    this.spans.push(span)
    this.open = span
    return span
  }

  /** Ends the open phase; `failed` when the attempt failed in it. */
  end(failed = false): void {
    if (!this.open) return
    this.open.endMs = this.now()
    if (failed) this.open.failed = true
    this.open = null
  }

  firstToken(span: PhaseSpan): void {
    span.firstTokenMs ??= this.now()
  }

  /** The W3C traceparent naming this phase as the parent: an HTTP provider's own spans then join the attempt's trace. */
  traceparent(span: PhaseSpan): string {
    return `00-${this.traceId}-${span.spanId}-${this.flags}`
  }
}
