/** The alerts firing and pending now, most urgent first; when there are none, that all is well. */
import { formatSignalValue } from '../../../../shared/alerts'
import { useRoute } from '../../shell/route'
import { formatCreated, formatMoment } from '../jobs/format'
import { activeAlerts } from './alerts'
import { SeverityBadge, StateBadge } from './badges'
import { useAlerts } from './use-alerts'
import { TableScroll } from '../../components/TableScroll'

export function ActiveAlerts() {
  const alerts = useAlerts((state) => state.alerts)
  const go = useRoute((state) => state.go)
  const active = activeAlerts(alerts)
  const watched = alerts.filter((alert) => alert.rule.enabled).length
  return (
    <section
      className="panel"
      aria-labelledby="active-title"
      data-active-alerts={active.length}
      data-firing={active.filter((alert) => alert.state === 'firing').length}
    >
      <header className="panel-head">
        <h2 className="panel-title" id="active-title">
          Firing and pending now
        </h2>
      </header>
      {active.length === 0 ? (
        <div className="empty all-well" data-all-well>
          <p className="empty-title">All is well</p>
          <p>
            No alert is firing or pending. {watched} of {alerts.length} rules are watching the engine&apos;s figures.
          </p>
        </div>
      ) : (
        <TableScroll label="Alerts firing and pending">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">State</th>
                <th scope="col">Severity</th>
                <th scope="col">Summary</th>
                <th scope="col">Since</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {active.map((alert) => (
                <tr key={alert.rule.name} data-active-alert={alert.rule.name} data-alert-state={alert.state}>
                  <td>
                    <a
                      className="inline-link"
                      href={`#/alerts/${alert.rule.name}`}
                      onClick={(event) => {
                        event.preventDefault()
                        go({ rule: alert.rule.name })
                      }}
                    >
                      {alert.rule.name}
                    </a>
                  </td>
                  <td>
                    <StateBadge state={alert.state} />
                  </td>
                  <td>
                    <SeverityBadge severity={alert.rule.severity} />
                  </td>
                  <td>{alert.rule.summary}</td>
                  <td className="cell-time" title={alert.since === null ? undefined : formatMoment(alert.since)}>
                    {alert.since === null ? '' : formatCreated(alert.since)}
                  </td>
                  <td className="cell-value">{formatSignalValue(alert.rule.signal, alert.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
