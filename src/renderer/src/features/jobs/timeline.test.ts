import { describe, expect, test } from 'vitest'
import type { JobAttempt } from '../../../../shared/jobs'
import type { TraceSpan } from '../../../../shared/traces'
import { viewOutput, foldedLabel } from './output'
import { modelOf } from './format'
import { formatDuration, layoutAttempts, layoutTrace } from './timeline'

function attempt(number: number, startedAt: number, endedAt: number, outcome: JobAttempt['outcome'] = 'ok'): JobAttempt {
  return {
    number,
    startedAt,
    endedAt,
    outcome,
    errorCategory: null,
    error: null,
    inputTokens: null,
    outputTokens: null,
    ranOn: null,
    model: null,
    severity: null,
    stack: null,
  }
}

function span(spanId: string, parentSpanId: string | null, startMs: number, endMs: number, more: Partial<TraceSpan> = {}): TraceSpan {
  return {
    traceId: 't1',
    spanId,
    parentSpanId,
    attempt: 1,
    name: spanId,
    startMs,
    endMs,
    status: 'ok',
    statusMessage: null,
    attributes: {},
    events: [],
    ...more,
  }
}

describe('attempts on one axis', () => {
  test('places each attempt from the first start to the last end', () => {
    const { rows, spanMs } = layoutAttempts([attempt(1, 1000, 1200, 'error'), attempt(2, 1800, 2000)])
    expect(spanMs).toBe(1000)
    const round = (x: number) => Math.round(x * 1e6) / 1e6
    expect(rows.map((r) => [round(r.left), round(r.width), r.durationMs])).toEqual([
      [0, 0.2, 200],
      [0.8, 0.2, 200],
    ])
  })

  test('gives an instant attempt a sliver, and a lone one the whole axis', () => {
    expect(layoutAttempts([attempt(1, 5, 5)]).rows[0]).toMatchObject({ left: 0, width: 1 })
    const rows = layoutAttempts([attempt(1, 0, 1000), attempt(2, 1000, 1000)]).rows
    expect(rows[1]!.width).toBeGreaterThan(0)
    expect(rows[1]!.left + rows[1]!.width).toBeLessThanOrEqual(1)
  })
})

describe('trace waterfall', () => {
  test('nests spans under their parents, offset from the trace start, with events as ticks', () => {
    const [waterfall] = layoutTrace([
      span('provider call', 'attempt', 20, 90, { events: [{ name: 'first token', timeMs: 40 }] }),
      span('attempt', null, 0, 100),
      span('queue wait', 'attempt', 0, 20),
      span('validation', 'attempt', 90, 95),
    ])
    expect(waterfall!.rows.map((r) => `${'  '.repeat(r.depth)}${r.span.name} +${r.offsetMs} ${r.durationMs}`)).toEqual([
      'attempt +0 100',
      '  queue wait +0 20',
      '  provider call +20 70',
      '  validation +90 5',
    ])
    const call = waterfall!.rows[2]!
    expect([call.left, call.width]).toEqual([0.2, 0.7])
    expect(call.ticks).toEqual([{ name: 'first token', at: 0.4, offsetMs: 40 }])
  })

  test('makes one waterfall per attempt, in attempt order', () => {
    const waterfalls = layoutTrace([span('b', null, 500, 600, { traceId: 't2', attempt: 2 }), span('a', null, 0, 100, { traceId: 't1', attempt: 1 })])
    expect(waterfalls.map((w) => [w.attempt, w.traceId, w.durationMs])).toEqual([
      [1, 't1', 100],
      [2, 't2', 100],
    ])
  })

  test('shows spans whose parent was not kept, or that loop, at the top level instead of dropping them', () => {
    const [waterfall] = layoutTrace([span('orphan', 'gone', 0, 10), span('x', 'y', 0, 5), span('y', 'x', 1, 5)])
    expect(waterfall!.rows.map((r) => [r.span.name, r.depth])).toEqual([
      ['orphan', 0],
      ['x', 0],
      ['y', 1],
    ])
  })
})

describe('output', () => {
  test('reads JSON objects and arrays as JSON, anything else as text', () => {
    expect(viewOutput('{"a": [1, 2]}')).toEqual({ kind: 'json', value: { a: [1, 2] } })
    expect(viewOutput('  [1]\n')).toEqual({ kind: 'json', value: [1] })
    expect(viewOutput('{not json')).toEqual({ kind: 'text', text: '{not json', cut: false })
    expect(viewOutput('line one\nline two')).toEqual({ kind: 'text', text: 'line one\nline two', cut: false })
    expect(viewOutput('42')).toMatchObject({ kind: 'text' })
    expect(viewOutput(null)).toEqual({ kind: 'none' })
    expect(viewOutput('x'.repeat(300_000))).toMatchObject({ kind: 'text', cut: true })
  })

  test('labels a folded value by its size', () => {
    expect(foldedLabel({ a: 1, b: 2 })).toBe('{ 2 keys }')
    expect(foldedLabel([1])).toBe('[ 1 item ]')
  })

  test('reads durations as a person would', () => {
    expect([0.42, 12.4, 1340, 125_000].map(formatDuration)).toEqual(['0.4 ms', '12 ms', '1.3 s', '2 min 5 s'])
  })
})

describe('the model a job ran', () => {
  test('is the job’s own, else the one its attempts recorded: the profile’s default', () => {
    const ran = (model: string | null): JobAttempt => ({ ...attempt(1, 0, 1), model })
    expect(modelOf({ model: 'gpt-4o', attempts: [ran('gpt-4o')] })).toBe('gpt-4o')
    expect(modelOf({ model: null, attempts: [ran('gpt-4o-mini'), ran(null)] })).toBe('gpt-4o-mini (the profile’s default)')
    expect(modelOf({ model: null, attempts: [] })).toBe('the profile’s default')
  })
})
