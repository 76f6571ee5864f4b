/**
 * What the tray says at a glance: ok, degraded or alerting, worked out from the health
 * report and the alerts, with the same in words for the tooltip and the menu. Pure (no
 * electron), so the rules are tested; src/main/shell/tray.ts draws it.
 */
import type { AlertSeverity, AlertState } from '../../shared/alerts'
import type { HealthStatus } from '../../shared/health'
import { pauseLabel, type MenuItem } from './menu-template'

export const TRAY_LOOKS = ['ok', 'degraded', 'alerting'] as const
export type TrayLook = (typeof TRAY_LOOKS)[number]

/** An alert as the tray needs it: `listAlerts` answers these (rule and state). */
export interface AlertStanding {
  state: AlertState
  rule: { name: string; severity: AlertSeverity }
}

export interface TrayState {
  look: TrayLook
  /** One line for the tooltip and the menu's first item. */
  words: string
}

/** Windows cuts a tray tooltip at 127 characters. */
const MAX_WORDS = 120

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`

function clip(text: string): string {
  return text.length <= MAX_WORDS ? text : `${text.slice(0, MAX_WORDS - 1)}…`
}

/**
 * Any firing alert makes it alerting; a health report that is not healthy (or could not be
 * had: `null`), or an alert pending, makes it degraded; otherwise ok.
 */
export function trayState(health: HealthStatus | null, alerts: readonly AlertStanding[], paused = false): TrayState {
  const firing = alerts.filter((alert) => alert.state === 'firing')
  const pending = alerts.filter((alert) => alert.state === 'pending')
  const queue = paused ? '; queue paused' : ''
  if (firing.length > 0) {
    const critical = firing.filter((alert) => alert.rule.severity === 'critical').length
    // Critical ones first: they are what the operator should read if the line is cut.
    const names = [...firing]
      .sort((a, b) => (a.rule.severity === b.rule.severity ? 0 : a.rule.severity === 'critical' ? -1 : 1))
      .map((alert) => alert.rule.name)
    const severity = critical > 0 ? ` (${critical} critical)` : ''
    return { look: 'alerting', words: clip(`GenOps: ${plural(firing.length, 'alert')} firing${severity}${queue}: ${names.join(', ')}`) }
  }
  const problems: string[] = []
  if (health === null) problems.push('health unknown')
  else if (health !== 'healthy') problems.push(`health ${health}`)
  if (pending.length > 0) problems.push(`${plural(pending.length, 'alert')} pending`)
  if (problems.length > 0) return { look: 'degraded', words: clip(`GenOps: ${problems.join(', ')}${queue}`) }
  return { look: 'ok', words: clip(`GenOps: all well${queue}`) }
}

export interface TrayActions {
  showWindow(): void
  togglePaused(): void
  exportBundle(): void
  quit(): void
}

export function trayMenuTemplate(state: TrayState, paused: boolean, actions: TrayActions): MenuItem[] {
  return [
    { label: state.words, enabled: false },
    { type: 'separator' },
    { label: 'Show GenOps', click: () => actions.showWindow() },
    { label: pauseLabel(paused), click: () => actions.togglePaused() },
    { label: 'Export diagnostic bundle', click: () => actions.exportBundle() },
    { type: 'separator' },
    { label: 'Quit GenOps', click: () => actions.quit() },
  ]
}
