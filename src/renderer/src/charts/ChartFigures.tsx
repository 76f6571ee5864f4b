/**
 * What a chart draws, as text beside it: a line per series (latest value and peak, with
 * when), and, folded, a table of the newest points. The canvas says nothing to a screen
 * reader and little to someone who cannot tell its colours apart; this says it all.
 */
import { useMemo } from 'react'
import type { AlignedData } from 'uplot'
import { TableScroll } from '../components/TableScroll'
import { lineFigures, recentRows } from './figures'
import './chart-figures.css'

export interface FigureLine {
  label: string
  format(value: number): string
}

/** Rows the folded table holds: enough to read the trend, few enough to read. */
const TABLE_ROWS = 30

interface ChartFiguresProps {
  data: AlignedData
  lines: readonly FigureLine[]
  /** An x value (seconds) in words: a time of day, or a day. */
  formatAt(seconds: number): string
  /** Names the table for the region it scrolls in. */
  title: string
}

export function ChartFigures({ data, lines, formatAt, title }: ChartFiguresProps) {
  const figures = useMemo(() => lines.map((_, i) => lineFigures(data, i + 1)), [data, lines])
  const rows = useMemo(() => recentRows(data, TABLE_ROWS), [data])
  return (
    <div className="chart-figures">
      <ul className="chart-summary" data-chart-summary>
        {lines.map((line, i) => {
          const { latest, peak } = figures[i]!
          return (
            <li key={line.label}>
              <span className="chart-summary-label">{line.label}:</span>{' '}
              {latest && peak
                ? `latest ${line.format(latest.value)} at ${formatAt(latest.at)}, peak ${line.format(peak.value)} at ${formatAt(peak.at)}`
                : 'no data in this range'}
            </li>
          )
        })}
      </ul>
      {rows.length > 0 && (
        <details className="chart-table">
          <summary>Figures as a table</summary>
          <TableScroll label={`${title}, as a table`}>
            <table className="data-table">
              <caption className="visually-hidden">{title}: the newest points with a value</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  {lines.map((line) => (
                    <th key={line.label} scope="col">
                      {line.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.at}>
                    <th scope="row" className="cell-time">
                      {formatAt(row.at)}
                    </th>
                    {row.values.map((value, i) => (
                      <td key={lines[i]!.label}>{value === null ? '—' : lines[i]!.format(value)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </details>
      )}
    </div>
  )
}
