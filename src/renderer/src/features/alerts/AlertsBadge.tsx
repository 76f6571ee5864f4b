/** The top bar's count of firing alerts, a link to the alerts screen; nothing while none fires. */
import { useEffect } from 'react'
import { useRoute } from '../../shell/route'
import { firingCount } from './alerts'
import { useAlerts, useAlertsStore } from './use-alerts'
import './alerts.css'

export function AlertsBadge() {
  const store = useAlertsStore()
  useEffect(() => store.getState().start(), [store])
  const firing = useAlerts((state) => firingCount(state.alerts))
  const go = useRoute((state) => state.go)
  if (firing === 0) return null
  const words = `${firing} ${firing === 1 ? 'alert' : 'alerts'} firing`
  return (
    <a
      className="alerts-badge"
      href="#/alerts"
      data-alerts-firing={firing}
      title={words}
      aria-label={words}
      onClick={(event) => {
        event.preventDefault()
        go({ screen: 'alerts' })
      }}
    >
      <svg className="alerts-badge-icon" viewBox="0 0 16 16" aria-hidden="true">
        <path d="M8 1.5a4.5 4.5 0 0 0-4.5 4.5v2.6L2 11v1h12v-1l-1.5-2.4V6A4.5 4.5 0 0 0 8 1.5zM6.2 13a1.8 1.8 0 0 0 3.6 0z" />
      </svg>
      {firing}
    </a>
  )
}
