import { describe, expect, it } from 'vitest'
import { parseDuration } from '../src/shared/duration'

describe('durations', () => {
  it('reads the units operators type', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('5m'), parseDuration('2h'), parseDuration('7d')]).toEqual([
      500, 30_000, 300_000, 7_200_000, 604_800_000,
    ])
    expect(() => parseDuration('soon')).toThrow(/like 500ms, 30s/)
  })
})
