/**
 * Where the operator is: one screen, and a job open in detail or not. Kept in the address's
 * hash (`#/jobs/42`) so the back button, a reload and a link all land on the same place,
 * with no router library for five screens.
 */
import { create } from 'zustand'

export const SCREENS = ['dashboard', 'jobs', 'failures', 'costs', 'settings'] as const
export type Screen = (typeof SCREENS)[number]

export const SCREEN_TITLES: Record<Screen, string> = {
  dashboard: 'Dashboard',
  jobs: 'Jobs',
  failures: 'Failures',
  costs: 'Costs',
  settings: 'Settings',
}

export interface Route {
  screen: Screen
  /** A job open in the detail panel (on the jobs or failures screen). */
  jobId: number | null
}

export function parseHash(hash: string): Route {
  const [screen, id] = hash.replace(/^#\/?/, '').split('/')
  const known = (SCREENS as readonly string[]).includes(screen ?? '') ? (screen as Screen) : 'jobs'
  const jobId = Number(id)
  return { screen: known, jobId: Number.isInteger(jobId) && jobId > 0 ? jobId : null }
}

export const hashOf = ({ screen, jobId }: Route): string => `#/${screen}${jobId ? `/${jobId}` : ''}`

interface RouteState extends Route {
  go(route: Partial<Route>): void
}

export const useRoute = create<RouteState>((set, get) => {
  const fromLocation = () => set(parseHash(window.location.hash))
  window.addEventListener('hashchange', fromLocation)
  return {
    ...parseHash(window.location.hash),
    go(route) {
      const { screen, jobId } = get()
      // Moving to another screen closes the detail unless the move names a job.
      const next = { screen: route.screen ?? screen, jobId: route.jobId !== undefined ? route.jobId : route.screen ? null : jobId }
      window.location.hash = hashOf(next)
      set(next)
    },
  }
})
