/** Reading what a provider says remains of its rate limits, in both vendors' formats, and spending it. */
import { describe, expect, it } from 'vitest'
import { ProviderQuotas, UNANSWERED_EXPIRY_MS } from '../../src/main/resilience/provider-quota'
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

describe('spending what the provider says remains', () => {
  // Each reading's request went out 50 ms before its headers were read.
  const reading = (at: number, remaining: number, resetAt: number, tokens = { limit: 10_000, remaining: 10_000 }) => ({
    at,
    sentAt: at - 50,
    requests: { limit: 10, remaining, resetAt },
    tokens: { ...tokens, resetAt },
  })
  const start = (at: number, tokens = 100) => ({ at, tokens })

  it("counts attempts still running or answered after the reading's request went, and the whole limit after its reset", () => {
    const quotas = new ProviderQuotas()
    expect(quotas.room('p', NOW)).toBeUndefined()
    expect(quotas.known()).toBe(false)
    const [a, b, c, d] = [start(NOW - 100), start(NOW - 90), start(NOW - 80), start(NOW - 70)]
    for (const s of [a, b, c, d]) quotas.started('p', s)
    // a's answer says 5 remain; b was answered before a's request went (so it is in the 5), c after, d still runs.
    quotas.finished('p', b, undefined, NOW - 60)
    quotas.finished('p', a, reading(NOW, 5, NOW + 2000), NOW + 5)
    quotas.finished('p', c, reading(NOW - 1, 6, NOW + 2000), NOW + 6)
    expect(quotas.known()).toBe(true)
    expect(quotas.room('p', NOW + 10)).toEqual({ requests: 5 - 2, tokens: 10_000 - 200, tokenLimit: 10_000 })
    for (let i = 0; i < 3; i++) quotas.started('p', start(NOW + 20 + i))
    expect(quotas.room('p', NOW + 30)!.requests).toBe(0)
    expect(quotas.heldReason('p', NOW + 30)).toMatch(/^held: p says its requests are used up \(limit 10\) until/)
    // At the reset the whole limit is back, less what may fall in the new window: what still runs.
    expect(quotas.room('p', NOW + 2000)).toEqual({ requests: 10 - 4, tokens: 10_000 - 400, tokenLimit: 10_000 })
    expect(quotas.heldReason('p', NOW + 2000)).toBeNull()
  })

  it('keeps the newest reading when answers come back out of order', () => {
    const quotas = new ProviderQuotas()
    const [a, b, c] = [start(NOW - 300), start(NOW - 200), start(NOW - 100)]
    for (const s of [a, b, c]) quotas.started('p', s)
    quotas.finished('p', a, reading(NOW, 4, NOW + 5000), NOW)
    quotas.finished('p', b, reading(NOW - 100, 9, NOW + 5000), NOW)
    expect(quotas.room('p', NOW)!.requests).toBe(4 - 1)
    quotas.finished('p', c, reading(NOW + 100, 2, NOW + 5000), NOW + 100)
    expect(quotas.room('p', NOW + 100)!.requests).toBe(2)
  })

  it('holds on tokens when they run out first', () => {
    const quotas = new ProviderQuotas()
    const first = start(NOW - 10, 20)
    quotas.started('p', first)
    quotas.finished('p', first, reading(NOW, 9, NOW + 2000, { limit: 1000, remaining: 150 }), NOW)
    quotas.started('p', start(NOW + 1, 200))
    expect(quotas.room('p', NOW + 2)).toEqual({ requests: 8, tokens: -50, tokenLimit: 1000 })
    expect(quotas.heldReason('p', NOW + 2)).toMatch(/its tokens are used up \(limit 1000\)/)
  })

  it('stops counting an attempt that never reports back', () => {
    const quotas = new ProviderQuotas()
    const first = start(NOW - 10)
    quotas.started('p', first)
    quotas.finished('p', first, reading(NOW, 5, NOW + 10 * UNANSWERED_EXPIRY_MS), NOW)
    quotas.started('p', start(NOW + 1))
    expect(quotas.room('p', NOW + 2)!.requests).toBe(4)
    expect(quotas.room('p', NOW + 2 + UNANSWERED_EXPIRY_MS)!.requests).toBe(5)
  })
})
