/**
 * Where the operator is: one screen, and a job or an alert rule open in detail or not. Kept
 * in the address's hash (`#/jobs/42`, `#/alerts/GenOpsDiskLow`) so the back button, a
 * reload and a link all land on the same place, with no router library for six screens.
 */
import { create } from 'zustand'

export const SCREENS = ['dashboard', 'jobs', 'batches', 'failures', 'alerts', 'costs', 'settings'] as const
export type Screen = (typeof SCREENS)[number]

export const SCREEN_TITLES: Record<Screen, string> = {
  dashboard: 'Dashboard',
  jobs: 'Jobs',
  batches: 'Batches',
  failures: 'Failures',
  alerts: 'Alerts',
  costs: 'Costs',
  settings: 'Settings',
}

export interface Route {
  screen: Screen
  /** A job open in the detail panel (on the jobs or failures screen). */
  jobId: number | null
  /** An alert rule open in its editor (on the alerts screen), by its name. */
  rule: string | null
  /** A batch open in detail (on the batches screen). */
  batchId?: number | null
}

/** Rule names as the contract allows them (Prometheus alert names): nothing else is taken from the address. */
const RULE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/

export function parseHash(hash: string): Route {
  const [screen, id] = hash.replace(/^#\/?/, '').split('/')
  const known = (SCREENS as readonly string[]).includes(screen ?? '') ? (screen as Screen) : 'jobs'
  if (known === 'alerts') {
    return { screen: known, jobId: null, rule: id && RULE_NAME.test(id) ? id : null }
  }
  const jobId = Number(id)
  const numbered = Number.isInteger(jobId) && jobId > 0 ? jobId : null
  if (known === 'batches') return { screen: known, jobId: null, rule: null, batchId: numbered }
  return { screen: known, jobId: numbered, rule: null }
}

export function hashOf({ screen, jobId, rule, batchId }: Route): string {
  if (screen === 'alerts') return `#/alerts${rule ? `/${rule}` : ''}`
  if (screen === 'batches') return `#/batches${batchId ? `/${batchId}` : ''}`
  return `#/${screen}${jobId ? `/${jobId}` : ''}`
}

interface RouteState extends Route {
  go(route: Partial<Route>): void
}

export const useRoute = create<RouteState>((set, get) => {
  const fromLocation = () => set(parseHash(window.location.hash))
  window.addEventListener('hashchange', fromLocation)
  return {
    ...parseHash(window.location.hash),
    go(route) {
      const { screen, jobId, rule, batchId } = get()
      // Moving to another screen closes the detail unless the move names one.
      const next = {
        screen: route.screen ?? screen,
        jobId: route.jobId !== undefined ? route.jobId : route.screen ? null : jobId,
        rule: route.rule !== undefined ? route.rule : route.screen ? null : rule,
        batchId: route.batchId !== undefined ? route.batchId : route.screen ? null : (batchId ?? null),
      }
      window.location.hash = hashOf(next)
      set(next)
    },
  }
})
