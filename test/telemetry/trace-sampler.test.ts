import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api'
import { SamplingDecision } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { BoundedSampler } from '../../src/main/telemetry/trace-sampler'

const kept = (sampler: BoundedSampler, traceId: string) =>
  sampler.shouldSample(ROOT_CONTEXT, traceId, 'attempt', SpanKind.INTERNAL, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED

describe('the trace sampler', () => {
  it('keeps at most so many attempts a second, and starts again the next second', () => {
    let now = 0
    const sampler = new BoundedSampler(1, 3, () => now)
    const ids = Array.from({ length: 5 }, (_, i) => `${i}`.padStart(32, 'a'))
    expect(ids.map((id) => kept(sampler, id))).toEqual([true, true, true, false, false])
    now = 1000
    expect(kept(sampler, ids[4]!)).toBe(true)
  })

  it('applies the ratio by trace id before the rate', () => {
    const sampler = new BoundedSampler(0, 1000)
    expect(kept(sampler, 'f'.repeat(32))).toBe(false)
  })
})
