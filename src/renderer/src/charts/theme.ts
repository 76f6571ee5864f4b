/**
 * Chart colours from the stylesheet's variables, read with getComputedStyle so a chart
 * follows the light or dark scheme the system picks. A change of scheme makes a new theme
 * (and so new chart options: the one moment a chart is rebuilt without a new configuration).
 */
import { useEffect, useState } from 'react'

export const THEME_VARIABLES = ['text', 'text-muted', 'border', 'accent', 'queued', 'delayed', 'active', 'completed', 'dead', 'cancelled'] as const
export type ThemeColour = (typeof THEME_VARIABLES)[number]
export type ChartTheme = Readonly<Record<ThemeColour, string>>

/** Used where the stylesheet has not loaded (a test without a DOM): the light scheme's values. */
const FALLBACK: ChartTheme = {
  text: '#1d2330',
  'text-muted': '#697386',
  border: '#e1e4e9',
  accent: '#3b5bdb',
  queued: '#5c6b80',
  delayed: '#9a6700',
  active: '#2f54c9',
  completed: '#2b7a4b',
  dead: '#b42f3a',
  cancelled: '#7b8190',
}

export function readTheme(): ChartTheme {
  if (typeof document === 'undefined') return FALLBACK
  const style = getComputedStyle(document.documentElement)
  return Object.fromEntries(THEME_VARIABLES.map((name) => [name, style.getPropertyValue(`--${name}`).trim() || FALLBACK[name]])) as ChartTheme
}

/** The current theme; a new one when the system switches between light and dark. */
export function useChartTheme(): ChartTheme {
  const [theme, setTheme] = useState(readTheme)
  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)')
    const changed = () => setTheme(readTheme())
    query.addEventListener('change', changed)
    return () => query.removeEventListener('change', changed)
  }, [])
  return theme
}

/** The axes every time chart shares, in the theme's colours. */
export function timeAxes(theme: ChartTheme, valueLabel: (value: number) => string) {
  const axis = { stroke: theme['text-muted'], grid: { stroke: theme.border, width: 1 }, ticks: { stroke: theme.border, width: 1 } }
  return [axis, { ...axis, size: 64, values: (_: unknown, ticks: number[]) => ticks.map(valueLabel) }]
}
