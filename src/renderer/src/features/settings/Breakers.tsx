/** Breakers: one per provider and model, with its state, since when and why; reset one, or hold one open. */
import type { BreakerState } from '../../../../shared/resilience'
import { formatCreated } from '../jobs/format'
import { useSettings } from './use-settings'
import { TableScroll } from '../../components/TableScroll'

const STATE: Record<BreakerState, { label: string; tone: string }> = {
  closed: { label: 'closed', tone: 'badge-pass' },
  'half-open': { label: 'half-open: probing', tone: 'badge-warn' },
  open: { label: 'open', tone: 'badge-fail' },
  isolated: { label: 'held open', tone: 'badge-fail' },
}

export function Breakers() {
  const breakers = useSettings((state) => state.breakers)
  const reset = useSettings((state) => state.resetBreaker)
  const holdOpen = useSettings((state) => state.holdBreakerOpen)
  const busy = useSettings((state) => state.busy !== null)
  return (
    <section className="panel" aria-labelledby="breakers-title" data-breakers={breakers.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="breakers-title">
          Breakers
        </h2>
        <span className="muted">while one is open its jobs wait, and burn no attempts</span>
      </header>
      {breakers.length === 0 ? (
        <p className="panel-body muted">No breakers yet: each provider and model gets one when its first job runs.</p>
      ) : (
        <TableScroll label="Breakers">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Breaker</th>
                <th scope="col">State</th>
                <th scope="col">Since</th>
                <th scope="col">Why</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {breakers.map((breaker) => (
                <tr key={breaker.name} data-breaker={breaker.name} data-breaker-state={breaker.state}>
                  <td className="cell-mono">{breaker.name}</td>
                  <td>
                    <span className={`badge ${STATE[breaker.state].tone}`}>{STATE[breaker.state].label}</span>
                    {breaker.state === 'open' && breaker.openUntil && <span className="muted"> · probe at {formatCreated(breaker.openUntil)}</span>}
                  </td>
                  <td className="cell-time" title={new Date(breaker.since).toLocaleString()}>
                    {formatCreated(breaker.since)}
                  </td>
                  <td>{breaker.reason ?? <span className="muted">—</span>}</td>
                  <td className="cell-actions">
                    {breaker.state !== 'closed' && (
                      <button type="button" className="button button-small" disabled={busy} onClick={() => void reset(breaker.name)}>
                        Reset
                      </button>
                    )}
                    {breaker.state !== 'isolated' && (
                      <button type="button" className="button button-small button-danger" disabled={busy} onClick={() => void holdOpen(breaker.name)}>
                        Hold open
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  )
}
