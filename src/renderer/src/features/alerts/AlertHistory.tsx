/** Transitions, newest first: when a rule fired or resolved after firing, and its value then (a pending spell is not kept). */
import { useMemo } from 'react'
import type { AlertSignal } from '../../../../shared/alerts'
import { formatCreated, formatMoment } from '../jobs/format'
import { HISTORY_LIMIT, transitionValue } from './alerts'
import { StateBadge } from './badges'
import { useAlerts } from './use-alerts'
import { TableScroll } from '../../components/TableScroll'

export function AlertHistory() {
  const history = useAlerts((state) => state.history)
  const historyState = useAlerts((state) => state.historyState)
  const alerts = useAlerts((state) => state.alerts)
  const signals = useMemo(() => new Map<string, AlertSignal>(alerts.map((alert) => [alert.rule.name, alert.rule.signal])), [alerts])
  return (
    <section className="panel" aria-labelledby="history-title" data-history-state={historyState} data-transitions={history.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="history-title">
          History
        </h2>
        <span className="muted">the newest {HISTORY_LIMIT} changes of state</span>
      </header>
      {historyState === 'loading' ? (
        <p className="panel-body muted">Loading the history…</p>
      ) : history.length === 0 ? (
        <div className="empty">
          <p className="empty-title">No changes yet</p>
          <p>Every time a rule fires, and when it resolves, it is kept here.</p>
        </div>
      ) : (
        <TableScroll label="Alert history">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Alert</th>
                <th scope="col">Change</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {history.map((transition) => (
                <tr key={transition.id} data-transition={transition.id} data-transition-to={transition.to}>
                  <td className="cell-time" title={formatMoment(transition.at)}>
                    {formatCreated(transition.at)}
                  </td>
                  <td>{transition.name}</td>
                  <td className="cell-time">
                    <StateBadge state={transition.from} /> → <StateBadge state={transition.to} />
                  </td>
                  <td className="cell-value">{transitionValue(transition, signals)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
