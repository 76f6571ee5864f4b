/** An alert's state and severity as badges, the same on every part of the screen. */
import type { AlertSeverity, AlertState } from '../../../../shared/alerts'

const STATE_TONES: Record<AlertState | 'resolved', string> = {
  firing: 'badge-fail',
  pending: 'badge-warn',
  inactive: 'badge-neutral',
  resolved: 'badge-pass',
}

export function StateBadge({ state, enabled = true }: { state: AlertState | 'resolved'; enabled?: boolean }) {
  if (!enabled) return <span className="badge badge-neutral">off</span>
  return <span className={`badge ${STATE_TONES[state]}`}>{state === 'inactive' ? 'ok' : state}</span>
}

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return <span className={`badge ${severity === 'critical' ? 'badge-fail' : 'badge-warn'}`}>{severity}</span>
}
