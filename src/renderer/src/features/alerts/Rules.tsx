/** Every rule: what it watches, how severe, where it stands, and a switch to silence it; a name opens the editor. */
import { describeRule, formatSignalValue, type AlertStatus } from '../../../../shared/alerts'
import { useRoute } from '../../shell/route'
import { SeverityBadge, StateBadge } from './badges'
import { useAlerts } from './use-alerts'
import { TableScroll } from '../../components/TableScroll'

function EnabledSwitch({ alert }: { alert: AlertStatus }) {
  const setEnabled = useAlerts((state) => state.setEnabled)
  const busy = useAlerts((state) => state.busy !== null)
  const { name, enabled } = alert.rule
  return (
    <label className="switch" title={enabled ? 'Evaluated: click to silence it' : 'Not evaluated: click to watch again'}>
      <input
        type="checkbox"
        role="switch"
        checked={enabled}
        disabled={busy}
        aria-label={`${name} enabled`}
        data-rule-toggle={name}
        onChange={(event) => void setEnabled(name, event.target.checked)}
      />
      <span className="switch-track" aria-hidden="true" />
    </label>
  )
}

function Row({ alert }: { alert: AlertStatus }) {
  const go = useRoute((state) => state.go)
  const { rule } = alert
  return (
    <tr data-rule={rule.name} data-rule-state={alert.state} data-rule-enabled={String(rule.enabled)} data-builtin={String(alert.builtin)}>
      <td>
        <a
          className="inline-link rule-name"
          href={`#/alerts/${rule.name}`}
          data-edit-rule={rule.name}
          onClick={(event) => {
            event.preventDefault()
            go({ rule: rule.name })
          }}
        >
          {rule.name}
        </a>
        {alert.builtin && <span className="muted"> · default</span>}
        <div className="muted rule-summary">{rule.summary}</div>
      </td>
      <td className="cell-mono" data-rule-expr>
        {describeRule(rule)}
      </td>
      <td>
        <SeverityBadge severity={rule.severity} />
      </td>
      <td className="cell-value">
        <StateBadge state={alert.state} enabled={rule.enabled} />{' '}
        <span className="muted">{alert.evaluatedAt === null ? 'not evaluated yet' : formatSignalValue(rule.signal, alert.value)}</span>
      </td>
      <td>
        <EnabledSwitch alert={alert} />
      </td>
    </tr>
  )
}

export function Rules() {
  const alerts = useAlerts((state) => state.alerts)
  const newRule = useAlerts((state) => state.newRule)
  return (
    <section className="panel" aria-labelledby="rules-title" data-rules={alerts.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="rules-title">
          Rules
        </h2>
        <span className="muted">a signal over the engine&apos;s own figures, true for a while before it fires</span>
        <div className="panel-actions">
          <button type="button" className="button button-primary" data-new-rule onClick={newRule}>
            Add rule
          </button>
        </div>
      </header>
      {alerts.length === 0 ? (
        <div className="empty">
          <p className="empty-title">No rules</p>
          <p>Add a rule to be told when a signal crosses a threshold.</p>
        </div>
      ) : (
        <TableScroll label="Alert rules">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Rule</th>
                <th scope="col">Severity</th>
                <th scope="col">State</th>
                <th scope="col">Enabled</th>
              </tr>
            </thead>
            <tbody>
              {alerts.map((alert) => (
                <Row key={alert.rule.name} alert={alert} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
