/** Reading what a provider says remains of its rate limits, in both vendors' formats (spending it: shared-rate-state.test.ts). */
import { describe, expect, it } from 'vitest'
import { parseDuration, readAnthropicQuota, readOpenAIQuota } from '../../src/shared/ratelimit-headers'
import { goDuration } from '../support/fake-quota-openai'

const NOW = Date.parse('2026-12-06T06:00:00Z')

describe("OpenAI's x-ratelimit headers", () => {
  it('reads durations as OpenAI writes them', () => {
    expect(parseDuration('6m0s')).toBe(360_000)
    expect(parseDuration('20ms')).toBe(20)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration('1h2m3.25s')).toBe(3_723_250)
    expect(parseDuration('0s')).toBe(0)
    expect(parseDuration('2')).toBe(2000)
    expect(parseDuration('1.5')).toBe(1500)
    for (const bad of ['', 's', '5 minutes', '-1s', '1x', '1s2']) expect(parseDuration(bad)).toBeUndefined()
  })

  it('reads both budgets with their reset as a time', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-tokens': '6m0s',
    })
    expect(readOpenAIQuota(headers, NOW, NOW - 30)).toEqual({
      at: NOW,
      sentAt: NOW - 30,
      requests: { limit: 60, remaining: 59, resetAt: NOW + 1000 },
      tokens: { limit: 150_000, remaining: 149_984, resetAt: NOW + 360_000 },
    })
  })

  it('keeps the budgets that are whole, and nothing when none is', () => {
    const partial = new Headers({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': '20ms' })
    partial.set('x-ratelimit-limit-tokens', '1000')
    partial.set('x-ratelimit-remaining-tokens', 'lots')
    partial.set('x-ratelimit-reset-tokens', '1s')
    expect(readOpenAIQuota(partial, NOW)).toEqual({ at: NOW, sentAt: NOW, requests: { limit: 10, remaining: 3, resetAt: NOW + 20 } })
    expect(readOpenAIQuota(new Headers({ 'content-type': 'text/event-stream' }), NOW)).toBeUndefined()
    expect(
      readOpenAIQuota(new Headers({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': 'soon' }), NOW),
    ).toBeUndefined()
  })

  it("round-trips the quota server's own format, rounded up", () => {
    for (const ms of [0, 1, 20, 999, 1000, 1500, 59_999, 60_000, 360_000, 3_723_250]) expect(parseDuration(goDuration(ms))).toBe(ms)
    expect(goDuration(0.2)).toBe('1ms')
    expect(goDuration(360_000)).toBe('6m0s')
  })
})

describe("Anthropic's anthropic-ratelimit headers", () => {
  it('reads requests, tokens, input and output tokens, with RFC 3339 resets', () => {
    const headers = new Headers()
    const set = (kind: string, limit: number, remaining: number, reset: string) => {
      headers.set(`anthropic-ratelimit-${kind}-limit`, String(limit))
      headers.set(`anthropic-ratelimit-${kind}-remaining`, String(remaining))
      headers.set(`anthropic-ratelimit-${kind}-reset`, reset)
    }
    set('requests', 50, 49, '2026-12-06T06:00:01Z')
    set('tokens', 90_000, 89_000, '2026-12-06T06:00:00.5Z')
    set('input-tokens', 40_000, 39_000, '2026-12-06T06:00:00.5+00:00')
    set('output-tokens', 8000, 8000, '2026-12-06T07:00:30+01:00')
    expect(readAnthropicQuota(headers, NOW)).toEqual({
      at: NOW,
      sentAt: NOW,
      requests: { limit: 50, remaining: 49, resetAt: NOW + 1000 },
      tokens: { limit: 90_000, remaining: 89_000, resetAt: NOW + 500 },
      inputTokens: { limit: 40_000, remaining: 39_000, resetAt: NOW + 500 },
      outputTokens: { limit: 8000, remaining: 8000, resetAt: NOW + 30_000 },
    })
  })

  it('leaves out a budget whose reset is not a time', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': 'in a minute',
    })
    expect(readAnthropicQuota(headers, NOW)).toBeUndefined()
  })
})
