/**
 * One dashboard chart: a series of the picked range through the one Plot wrapper, its
 * options made once per theme, and its figures as text below it. Lines after the first are
 * dashed, so they are told apart by more than their colour.
 */
import { useMemo } from 'react'
import type { AlignedData, Options } from 'uplot'
import type { Resolution } from '../../../../shared/costs'
import { ChartFigures } from '../../charts/ChartFigures'
import { Plot } from '../../charts/Plot'
import { timeAxes, type ChartTheme } from '../../charts/theme'
import { useDashboard } from './use-dashboard'
import { hasValues, toAligned, type ChartSpec } from './series'

const HEIGHT = 180
/** Solid, dashed, dotted: the second and third lines of a chart by their stroke as well as their colour. */
const DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3]]

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
const hourOfDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
const dayOf = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' })

/** A bucket's start (seconds) as precisely as its resolution means it. */
export function bucketLabel(resolution: Resolution | undefined): (seconds: number) => string {
  const format = resolution === '1d' ? dayOf : resolution === '1h' ? hourOfDay : timeOfDay
  return (seconds) => format.format(new Date(seconds * 1000))
}

/** Options made once per chart and theme: new data never rebuilds the chart. */
export function chartOptions(spec: ChartSpec, theme: ChartTheme): Omit<Options, 'width' | 'height'> {
  const value = (_: unknown, raw: number | null) => (raw === null ? '—' : spec.unit(raw))
  const points = spec.spanGaps ? { show: true, size: 5 } : {}
  return {
    series: [
      {},
      ...spec.lines.map((line, i) => ({
        label: line.label,
        stroke: theme[line.colour],
        width: 1.5,
        ...(DASHES[i] ? { dash: DASHES[i] } : {}),
        spanGaps: spec.spanGaps ?? false,
        points,
        value,
      })),
    ],
    axes: timeAxes(theme, spec.unit),
    scales: {
      // Counts, rates and times start at zero; an all-zero chart still has a scale.
      y: { range: (_: unknown, _min: number | null, max: number | null): [number, number] => [0, max && max > 0 ? max * 1.1 : 1] },
    },
    cursor: { drag: { x: false, y: false } },
  }
}

export function SeriesChart({ spec, theme }: { spec: ChartSpec; theme: ChartTheme }) {
  const series = useDashboard((state) => state.series[spec.metric])
  const fields = useMemo(() => spec.lines.map((line) => line.field), [spec])
  const options = useMemo(() => chartOptions(spec, theme), [spec, theme])
  const data = useMemo<AlignedData>(() => toAligned(series, fields), [series, fields])
  const lines = useMemo(() => spec.lines.map((line) => ({ label: line.label, format: spec.unit })), [spec])
  const formatAt = useMemo(() => bucketLabel(series?.resolution), [series?.resolution])
  return (
    <figure className="chart" data-chart={spec.metric} data-has-values={hasValues(series, fields)} data-samples={series?.points.length ?? 0}>
      <figcaption className="chart-title">{spec.title}</figcaption>
      <Plot options={options} data={data} height={HEIGHT} label={spec.title} />
      <ChartFigures data={data} lines={lines} formatAt={formatAt} title={spec.title} />
    </figure>
  )
}
