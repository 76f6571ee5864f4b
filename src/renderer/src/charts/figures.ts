/**
 * A chart's figures as text: for each line, its latest value and its peak over the range,
 * with when; and the newest points that carry a value, as rows of a table. Pure, over
 * uPlot's aligned columns (x first, in seconds), so every chart can say what it draws.
 */
import type { AlignedData } from 'uplot'

export interface Reading {
  /** Seconds, as the x column holds them. */
  at: number
  value: number
}

export interface LineFigures {
  latest: Reading | null
  peak: Reading | null
}

/** The latest and the highest value of column `line` (1 for the first line after x); a gap is skipped, never read as zero. */
export function lineFigures(data: AlignedData, line: number): LineFigures {
  const xs = data[0] ?? []
  const column = data[line] ?? []
  let latest: Reading | null = null
  let peak: Reading | null = null
  for (let i = 0; i < xs.length; i++) {
    const value = column[i]
    if (value === null || value === undefined) continue
    latest = { at: xs[i]!, value }
    if (!peak || value > peak.value) peak = { at: xs[i]!, value }
  }
  return { latest, peak }
}

export interface FigureRow {
  at: number
  values: (number | null)[]
}

/** The newest `max` points where some line has a value above zero, newest first: what a table of a busy chart shows. */
export function recentRows(data: AlignedData, max: number): FigureRow[] {
  const xs = data[0] ?? []
  const rows: FigureRow[] = []
  for (let i = xs.length - 1; i >= 0 && rows.length < max; i--) {
    const values = data.slice(1).map((column) => column[i] ?? null)
    if (values.some((value) => value !== null && value > 0)) rows.push({ at: xs[i]!, values })
  }
  return rows
}
