import { describe, expect, test } from 'vitest'
import { lineFigures, recentRows } from './figures'

describe("a chart's figures as text", () => {
  const data: [number[], (number | null)[], (number | null)[]] = [
    [10, 20, 30, 40],
    [1, 5, null, 2],
    [0, 0, null, null],
  ]

  test('latest and peak of a line, gaps skipped and never read as zero', () => {
    expect(lineFigures(data, 1)).toEqual({ latest: { at: 40, value: 2 }, peak: { at: 20, value: 5 } })
    expect(lineFigures(data, 2)).toEqual({ latest: { at: 20, value: 0 }, peak: { at: 10, value: 0 } })
    expect(
      lineFigures(
        [
          [1, 2],
          [null, null],
        ],
        1,
      ),
    ).toEqual({ latest: null, peak: null })
  })

  test('the newest points with a value above zero, newest first, at most as many as asked', () => {
    expect(recentRows(data, 10)).toEqual([
      { at: 40, values: [2, null] },
      { at: 20, values: [5, 0] },
      { at: 10, values: [1, 0] },
    ])
    expect(recentRows(data, 1)).toEqual([{ at: 40, values: [2, null] }])
  })
})
