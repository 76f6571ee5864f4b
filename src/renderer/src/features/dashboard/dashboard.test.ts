import { describe, expect, test, vi } from 'vitest'
import type { EngineEvent } from '../../../../shared/contract'
import type { Series, SeriesPoint, SeriesQuery } from '../../../../shared/costs'
import type { Client } from '../../api'
import { createDashboardStore } from './dashboard'
import { CHARTS, hasValues, RANGES, rangeOf, toAligned } from './series'

describe('series as uPlot columns', () => {
  const series = (resolution: Series['resolution'], since: number, until: number, points: SeriesPoint[]): Series => ({
    metric: 'throughput',
    resolution,
    since,
    until,
    unit: '',
    points,
  })

  test('x in seconds, one column per field, in order', () => {
    const points = [
      { t: 1_000, completedPerSecond: 2, failedPerSecond: 0.5 },
      { t: 2_000, completedPerSecond: 0, failedPerSecond: 1 },
    ]
    expect(toAligned(series('1s', 1_000, 3_000, points), ['completedPerSecond', 'failedPerSecond'])).toEqual([
      [1, 2],
      [2, 0],
      [0.5, 1],
    ])
  })

  test('every bucket of the range answered: a missing bucket or a null value is a gap, never a zero', () => {
    const points: SeriesPoint[] = [
      { t: 60_000, p50Ms: null, p95Ms: 12 },
      { t: 180_000, p50Ms: 4 },
    ]
    expect(toAligned(series('1m', 60_000, 200_000, points), ['p50Ms', 'p95Ms'])).toEqual([
      [60, 120, 180],
      [null, null, 4],
      [12, null, null],
    ])
  })

  test('no series yet, or an empty range: an x column and empty value columns', () => {
    expect(toAligned(undefined, ['queued', 'active'])).toEqual([[], [], []])
    expect(toAligned(series('1h', 3_600_000, 3_600_000, []), ['queued'])).toEqual([[], []])
  })

  test('a series of zeros has no values; one above zero has', () => {
    const series = { metric: 'throughput' as const, resolution: '1s' as const, since: 0, until: 2000, unit: '', points: [{ t: 0, completedPerSecond: 0 }] }
    expect(hasValues(series, ['completedPerSecond'])).toBe(false)
    expect(hasValues({ ...series, points: [...series.points, { t: 1000, completedPerSecond: 0.2 }] }, ['completedPerSecond'])).toBe(true)
    expect(hasValues(undefined, ['completedPerSecond'])).toBe(false)
  })

  test('each range asks for a resolution the engine keeps that far back', () => {
    expect(RANGES.map((range) => [range.id, range.resolution])).toEqual([
      ['5m', '1s'],
      ['1h', '1m'],
      ['1d', '1h'],
      ['30d', '1d'],
    ])
    expect(rangeOf('1h').windowMs).toBe(3_600_000)
  })
})

function fakeClient() {
  const listeners = new Set<(event: EngineEvent) => void>()
  const client = {
    series: vi.fn(async (query: SeriesQuery) => ({
      metric: query.metric,
      resolution: query.resolution,
      since: query.since ?? 0,
      until: Date.now(),
      unit: '',
      points: [{ t: 0 }],
    })),
    listBreakers: vi.fn(async () => ({ breakers: [] })),
    healthReport: vi.fn(async () => ({ status: 'healthy', checkedAt: 0, checks: [] })),
    onEvent: (listener: (event: EngineEvent) => void) => (listeners.add(listener), () => listeners.delete(listener)),
  }
  const emit = (event: EngineEvent) => listeners.forEach((listener) => listener(event))
  return { client, emit, listeners }
}

describe('the dashboard store', () => {
  test('loads every chart at the range resolution, again on a new range and on counts, and stops listening', async () => {
    const { client, emit, listeners } = fakeClient()
    const store = createDashboardStore(client as unknown as Client)
    const stop = store.getState().start()
    await vi.waitFor(() => expect(store.getState().status).toBe('ready'))
    expect(Object.keys(store.getState().series).sort()).toEqual(CHARTS.map((chart) => chart.metric).sort())
    expect(client.series.mock.calls.every(([query]) => query.resolution === '1s')).toBe(true)
    await vi.waitFor(() => expect(store.getState().health?.status).toBe('healthy'))

    client.series.mockClear()
    store.getState().setRange('30d')
    await vi.waitFor(() => expect(client.series).toHaveBeenCalledTimes(CHARTS.length))
    expect(client.series.mock.calls.every(([query]) => query.resolution === '1d')).toBe(true)

    client.series.mockClear()
    emit({ type: 'counts', data: { counts: { queued: 1, delayed: 0, submitted: 0, active: 0, completed: 0, dead: 0, cancelled: 0 }, paused: false } })
    await vi.waitFor(() => expect(client.series).toHaveBeenCalledTimes(CHARTS.length))
    stop()
    expect(listeners.size).toBe(0)
  })

  test('a first load that fails says why', async () => {
    const { client } = fakeClient()
    client.series.mockRejectedValue(new Error('series: the rollups table is missing'))
    const store = createDashboardStore(client as unknown as Client)
    const stop = store.getState().start()
    await vi.waitFor(() => expect(store.getState().status).toBe('error'))
    expect(store.getState().loadProblem).toBe('series: the rollups table is missing')
    stop()
  })
})
