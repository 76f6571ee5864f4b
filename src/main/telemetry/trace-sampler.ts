/**
 * Which attempts keep their spans: a share of them (the SDK's ratio sampler), and at most
 * so many a second (a rate-limiting sampler in the manner of Jaeger's, which the JS SDK
 * does not ship). When attempts are seconds-long LLM calls every one is kept and every job
 * has its waterfall; a drain of no-op jobs at thousands a second keeps a steady sample
 * instead of spending a third of the main thread writing spans. Failed attempts keep
 * theirs whatever this says (attempt-trace.ts).
 */
import { SamplingDecision, TraceIdRatioBasedSampler, type Sampler, type SamplingResult } from '@opentelemetry/sdk-trace-base'
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api'

export class BoundedSampler implements Sampler {
  private readonly ratio: Sampler | null
  private windowStart = 0
  private taken = 0

  constructor(
    ratio: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.ratio = ratio < 1 ? new TraceIdRatioBasedSampler(ratio) : null
  }

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const drop = { decision: SamplingDecision.NOT_RECORD }
    if (this.ratio?.shouldSample(context, traceId, name, kind, attributes, links).decision === SamplingDecision.NOT_RECORD) return drop
    const now = this.now()
    if (now - this.windowStart >= 1000) {
      this.windowStart = now
      this.taken = 0
    }
    if (this.taken >= this.perSecond) return drop
    this.taken++
    return { decision: SamplingDecision.RECORD_AND_SAMPLED }
  }

  toString(): string {
    return `BoundedSampler{${this.ratio ? `${this.ratio.toString()}, ` : ''}at most ${this.perSecond}/s}`
  }
}
