/**
 * What the dashboard charts, as pure functions: the time ranges the picker offers (each a
 * resolution the engine keeps that far back), which fields of each series become lines, and
 * series points turned into uPlot's aligned columns.
 */
import type { AlignedData } from 'uplot'
import { RESOLUTION_MS, type Resolution, type Series, type SeriesMetric } from '../../../../shared/costs'
import type { ThemeColour } from '../../charts/theme'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export interface TimeRange {
  id: '5m' | '1h' | '1d' | '30d'
  label: string
  resolution: Resolution
  windowMs: number
  /** How often the charts are read again while nothing happens. */
  refreshMs: number
  /** At most this often while the engine's counts change (jobs running). */
  eventRefreshMs: number
}

export const RANGES: readonly TimeRange[] = [
  { id: '5m', label: 'Last 5 minutes', resolution: '1s', windowMs: 5 * MINUTE, refreshMs: 2000, eventRefreshMs: 1000 },
  { id: '1h', label: 'Last hour', resolution: '1m', windowMs: HOUR, refreshMs: 15_000, eventRefreshMs: 5000 },
  { id: '1d', label: 'Last day', resolution: '1h', windowMs: DAY, refreshMs: 60_000, eventRefreshMs: 15_000 },
  { id: '30d', label: 'Last 30 days', resolution: '1d', windowMs: 30 * DAY, refreshMs: 5 * MINUTE, eventRefreshMs: 60_000 },
]
export type RangeId = TimeRange['id']

export function rangeOf(id: RangeId): TimeRange {
  return RANGES.find((range) => range.id === id) ?? RANGES[0]!
}

export interface Line {
  field: string
  label: string
  colour: ThemeColour
}

export interface ChartSpec {
  metric: SeriesMetric
  title: string
  /** How a value on the y axis reads. */
  unit: (value: number) => string
  lines: readonly Line[]
  /** Join the points across buckets with no value, and mark each (latency where nothing completed, depth between samples). */
  spanGaps?: boolean
}

const compact = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, notation: 'compact' })
const perSecond = (value: number) => `${compact.format(value)}/s`

export const CHARTS: readonly ChartSpec[] = [
  {
    metric: 'throughput',
    title: 'Completed and failed per second',
    unit: perSecond,
    lines: [
      { field: 'completedPerSecond', label: 'Completed', colour: 'completed' },
      { field: 'failedPerSecond', label: 'Failed attempts', colour: 'dead' },
    ],
  },
  {
    metric: 'depth',
    title: 'Queue depth by state',
    unit: (value) => compact.format(value),
    lines: [
      { field: 'queued', label: 'Queued', colour: 'queued' },
      { field: 'delayed', label: 'Delayed', colour: 'delayed' },
      { field: 'submitted', label: 'In provider batches', colour: 'accent' },
      { field: 'active', label: 'Active', colour: 'active' },
    ],
    spanGaps: true,
  },
  {
    metric: 'latency',
    title: 'Latency of completed attempts',
    unit: (value) => (value >= 1000 ? `${compact.format(value / 1000)} s` : `${compact.format(value)} ms`),
    lines: [
      { field: 'p50Ms', label: 'p50', colour: 'completed' },
      { field: 'p95Ms', label: 'p95', colour: 'delayed' },
      { field: 'p99Ms', label: 'p99', colour: 'dead' },
    ],
    spanGaps: true,
  },
  {
    metric: 'tokens',
    title: 'Tokens per second',
    unit: perSecond,
    lines: [
      { field: 'inputPerSecond', label: 'Input', colour: 'queued' },
      // Input the provider's prompt cache read: plain input above leaves it out (shared/tokens).
      { field: 'cachedInputPerSecond', label: 'Cached input', colour: 'completed' },
      { field: 'outputPerSecond', label: 'Output', colour: 'accent' },
    ],
  },
  {
    metric: 'cost',
    title: 'Cost per hour',
    unit: (value) => `$${compact.format(value)}`,
    lines: [{ field: 'usdPerHour', label: 'USD per hour', colour: 'accent' }],
  },
]

/** Most buckets one chart draws: the engine answers at most this many too (MAX_SERIES_POINTS). */
const MAX_BUCKETS = 10_000

/**
 * A series as uPlot's columns: x in seconds (uPlot's time unit), one bucket per step of the
 * resolution across the whole range answered, then one column per field. A bucket the
 * series has no point for (queue depth is only sampled while the engine runs), or a null
 * value, is a gap, never a zero that did not happen; and the x axis always spans the range.
 */
export function toAligned(series: Series | undefined, fields: readonly string[]): AlignedData {
  if (!series) return [[], ...fields.map(() => [])]
  const width = RESOLUTION_MS[series.resolution]
  const byBucket = new Map(series.points.map((point) => [point.t, point]))
  const xs: number[] = []
  const columns: (number | null)[][] = fields.map(() => [])
  for (let t = series.since; t < series.until && xs.length < MAX_BUCKETS; t += width) {
    const point = byBucket.get(t)
    xs.push(t / 1000)
    fields.forEach((field, i) => columns[i]!.push(point?.[field] ?? null))
  }
  return [xs, ...columns]
}

/** Whether any of the fields has a value above zero: a chart of zeros says nothing has run. */
export function hasValues(series: Series | undefined, fields: readonly string[]): boolean {
  return !!series?.points.some((point) => fields.some((field) => (point[field] ?? 0) > 0))
}
