import { describe, expect, it } from 'vitest'
import { retryDelayMs } from '../../src/main/queue/backoff'

describe('retry backoff', () => {
  const options = { baseMs: 1000, maxMs: 60_000 }

  it('doubles each failure, between half and all of the step', () => {
    for (let failures = 1; failures <= 5; failures++) {
      const step = 1000 * 2 ** (failures - 1)
      expect(retryDelayMs(failures, options, () => 0)).toBe(step / 2)
      expect(retryDelayMs(failures, options, () => 0.999999)).toBeCloseTo(step, -1)
    }
  })

  it('never exceeds the cap, however many failures', () => {
    for (const failures of [7, 10, 60, 1000]) expect(retryDelayMs(failures, options, () => 0.999999)).toBeLessThanOrEqual(60_000)
    expect(retryDelayMs(1000, options, () => 0)).toBe(30_000)
  })

  it('spreads a batch that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, options)))
    expect(delays.size).toBeGreaterThan(40)
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(2000)
  })
})
