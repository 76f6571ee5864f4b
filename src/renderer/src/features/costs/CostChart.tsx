/**
 * Cost per day as bars, tokens per day as a line on its own axis (local and simulator models
 * cost nothing but still count tokens), and the same figures as text below.
 */
import { useMemo } from 'react'
import uPlot, { type Options } from 'uplot'
import { ChartFigures } from '../../charts/ChartFigures'
import { Plot } from '../../charts/Plot'
import { useChartTheme, type ChartTheme } from '../../charts/theme'
import { usd } from '../../../../shared/costs'
import { dailyColumns } from './report'
import { useCosts } from './use-costs'

const HALF_DAY_S = 43_200
/** Most day labels on the axis: a month of days is labelled every few days. */
const MAX_LABELS = 10
const utcDate = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' })
const dayLabel = (seconds: number) => utcDate.format(new Date(seconds * 1000))
const compact = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2, notation: 'compact' })
const FIGURE_LINES = [
  { label: 'Cost', format: (value: number) => usd(value) },
  { label: 'Tokens', format: (value: number) => compact.format(value) },
]

function costChartOptions(theme: ChartTheme): Omit<Options, 'width' | 'height'> {
  const axis = { stroke: theme['text-muted'], grid: { stroke: theme.border, width: 1 }, ticks: { stroke: theme.border, width: 1 } }
  const fromZero = (_: unknown, _min: number | null, max: number | null): [number, number] => [0, max && max > 0 ? max * 1.15 : 1]
  return {
    series: [
      { label: 'Day', value: (_: unknown, raw: number | null) => (raw === null ? '—' : dayLabel(raw)) },
      {
        label: 'Cost',
        scale: 'usd',
        stroke: theme.accent,
        fill: theme.accent,
        paths: uPlot.paths.bars?.({ size: [0.6, 48] }),
        points: { show: false },
        value: (_: unknown, raw: number | null) => (raw === null ? '—' : usd(raw)),
      },
      {
        label: 'Tokens',
        scale: 'tokens',
        stroke: theme.completed,
        width: 1.5,
        value: (_: unknown, raw: number | null) => (raw === null ? '—' : compact.format(raw)),
      },
    ],
    scales: {
      // Days are UTC, labelled as such: not a local time scale, whose ticks would fall at local midnights.
      x: { time: false, range: (_: unknown, min: number | null, max: number | null): [number, number] => [(min ?? 0) - HALF_DAY_S, (max ?? 0) + HALF_DAY_S] },
      usd: { range: fromZero },
      tokens: { range: fromZero },
    },
    axes: [
      {
        ...axis,
        splits: (u: uPlot) => {
          const days = (u.data[0] ?? []) as number[]
          const every = Math.max(1, Math.ceil(days.length / MAX_LABELS))
          return days.filter((_, i) => (days.length - 1 - i) % every === 0)
        },
        values: (_: unknown, ticks: number[]) => ticks.map(dayLabel),
      },
      { ...axis, scale: 'usd', size: 60, values: (_: unknown, ticks: number[]) => ticks.map((tick) => usd(tick)) },
      {
        ...axis,
        scale: 'tokens',
        side: 1,
        size: 56,
        grid: { show: false },
        values: (_: unknown, ticks: number[]) => ticks.map((tick) => compact.format(tick)),
      },
    ],
    cursor: { drag: { x: false, y: false } },
  }
}

export function CostChart() {
  const theme = useChartTheme()
  const daily = useCosts((state) => state.daily)
  const options = useMemo(() => costChartOptions(theme), [theme])
  const data = useMemo(() => (daily ? dailyColumns(daily) : dailyColumns({ by: 'day', since: 0, until: -1, rows: [], total: EMPTY, notes: [] })), [daily])
  return (
    <figure className="chart cost-chart" data-chart="cost-per-day">
      <figcaption className="chart-title">Cost and tokens per day (UTC)</figcaption>
      <Plot options={options} data={data} height={200} label="Cost per day" />
      <ChartFigures data={data} lines={FIGURE_LINES} formatAt={dayLabel} title="Cost and tokens per day" />
    </figure>
  )
}

const EMPTY = { attempts: 0, inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, costUsd: null, unpricedAttempts: 0 }
