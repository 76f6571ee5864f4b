/** The health report: the overall status, and each check with its status and what it found. */
import type { CheckStatus, HealthStatus } from '../../../../shared/health'
import { formatCreated } from '../jobs/format'
import { useSettings } from './use-settings'
import { TableScroll } from '../../components/TableScroll'

const OVERALL: Record<HealthStatus, string> = { healthy: 'badge-pass', degraded: 'badge-warn', unhealthy: 'badge-fail' }
const CHECK: Record<CheckStatus, string> = { pass: 'badge-pass', warn: 'badge-warn', fail: 'badge-fail' }

export function Health() {
  const health = useSettings((state) => state.health)
  const healthState = useSettings((state) => state.healthState)
  const check = useSettings((state) => state.checkHealth)
  return (
    <section className="panel" aria-labelledby="health-title" data-health-state={healthState} data-health-status={health?.status ?? 'unknown'}>
      <header className="panel-head">
        <h2 className="panel-title" id="health-title">
          Health
        </h2>
        {health && <span className={`badge ${OVERALL[health.status]}`}>{health.status}</span>}
        {health && <span className="muted">checked {formatCreated(health.checkedAt)}</span>}
        <div className="panel-actions">
          <button type="button" className="button" disabled={healthState === 'checking'} onClick={() => void check()}>
            {healthState === 'checking' ? 'Checking…' : 'Check again'}
          </button>
        </div>
      </header>
      {health && (
        <TableScroll label="Health checks">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Check</th>
                <th scope="col">Status</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {health.checks.map((c) => (
                <tr key={c.name} data-check={c.name} data-check-status={c.status}>
                  <td>
                    {c.name}
                    {c.critical && <span className="muted"> · critical</span>}
                  </td>
                  <td>
                    <span className={`badge ${CHECK[c.status]}`}>{c.status}</span>
                  </td>
                  <td>{c.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
