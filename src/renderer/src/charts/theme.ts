/**
 * Chart colours from the stylesheet's variables, read with getComputedStyle so a chart
 * follows the light or dark scheme the system picks. A change of scheme makes a new theme
 * (and so new chart options: the one moment a chart is rebuilt without a new configuration).
 */
import { useEffect, useState } from 'react'

export const THEME_VARIABLES = ['text', 'text-muted', 'border', 'accent', 'queued', 'delayed', 'active', 'completed', 'dead', 'cancelled'] as const
export type ThemeColour = (typeof THEME_VARIABLES)[number]
export type ChartTheme = Readonly<Record<ThemeColour, string>>

/** Used where the stylesheet has not loaded (a test without a DOM): the light scheme's values (styles/tokens.css). */
const FALLBACK: ChartTheme = {
  text: '#1d2330',
  'text-muted': '#586274',
  border: '#e1e4e9',
  accent: '#3451c6',
  queued: '#4f5d72',
  delayed: '#805500',
  active: '#2a4cb8',
  completed: '#24693f',
  dead: '#a82a35',
  cancelled: '#5f6573',
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
