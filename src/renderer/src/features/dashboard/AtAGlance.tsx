/**
 * What needs a look now: the health report's overall status and its checks that do not
 * pass, the breakers that are not closed, and the jobs by state. Problems stand out and
 * link to the settings screen, where breakers are reset and providers fixed.
 */
import { JOB_STATES } from '../../../../shared/jobs'
import type { HealthStatus } from '../../../../shared/health'
import type { BreakerState } from '../../../../shared/resilience'
import { totalOf } from '../../stores/queue'
import { useQueue } from '../../stores/use-queue'
import { formatCount, formatCreated, STATE_LABELS } from '../jobs/format'
import { useDashboard } from './use-dashboard'

const HEALTH_TONE: Record<HealthStatus, string> = { healthy: 'badge-pass', degraded: 'badge-warn', unhealthy: 'badge-fail' }
const BREAKER_LABEL: Record<BreakerState, string> = { closed: 'closed', 'half-open': 'half-open: probing', open: 'open', isolated: 'held open' }

function Health() {
  const health = useDashboard((state) => state.health)
  if (!health) return <p className="muted">Reading the health checks…</p>
  const problems = health.checks.filter((check) => check.status !== 'pass')
  return (
    <div className="glance-block" data-health={health.status}>
      <p className="glance-line">
        <span className={`badge ${HEALTH_TONE[health.status]}`}>{health.status}</span>
        <span className="muted">
          {problems.length === 0 ? `all ${health.checks.length} checks pass` : `${problems.length} of ${health.checks.length} checks need a look`}
        </span>
      </p>
      {problems.length > 0 && (
        <ul className="glance-list">
          {problems.map((check) => (
            <li key={check.name} data-check={check.name} data-check-status={check.status}>
              <span className={`badge ${check.status === 'fail' ? 'badge-fail' : 'badge-warn'}`}>{check.status}</span> <strong>{check.name}</strong>
              {check.critical && <span className="muted"> (critical)</span>}: {check.detail}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function Breakers() {
  const breakers = useDashboard((state) => state.breakers)
  const troubled = breakers.filter((breaker) => breaker.state !== 'closed')
  // A closed breaker whose learned concurrency is below its ceiling: the provider is slowed by 429s, server failures or a slow start.
  const slowed = breakers.filter((breaker) => breaker.state === 'closed' && breaker.concurrency && breaker.concurrency.limit < breaker.concurrency.ceiling)
  return (
    <div className="glance-block" data-breakers-open={troubled.length}>
      <p className="glance-line">
        <span className={`badge ${troubled.length ? 'badge-fail' : 'badge-pass'}`}>{troubled.length ? `${troubled.length} not closed` : 'all closed'}</span>
        <span className="muted">{breakers.length === 0 ? 'no breakers yet: one per provider and model once it runs' : `${breakers.length} breakers`}</span>
      </p>
      {troubled.length > 0 && (
        <ul className="glance-list">
          {troubled.map((breaker) => (
            <li key={breaker.name} data-breaker={breaker.name} data-breaker-state={breaker.state}>
              <span className={`badge ${breaker.state === 'half-open' ? 'badge-warn' : 'badge-fail'}`}>{BREAKER_LABEL[breaker.state]}</span>{' '}
              <span className="cell-mono">{breaker.name}</span> since {formatCreated(breaker.since)}
              {breaker.reason && <span className="muted">: {breaker.reason}</span>}
              {breaker.state === 'open' && breaker.openUntil && <span className="muted"> · next probe {formatCreated(breaker.openUntil)}</span>}
            </li>
          ))}
        </ul>
      )}
      {slowed.length > 0 && (
        <ul className="glance-list">
          {slowed.map((breaker) => (
            <li key={breaker.name} data-concurrency-limit={breaker.concurrency!.limit}>
              <span className="badge badge-warn">slowed</span> <span className="cell-mono">{breaker.name}</span>{' '}
              <span className="muted">
                runs {breaker.concurrency!.limit} of {breaker.concurrency!.ceiling} at once
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function Counts() {
  const counts = useQueue((state) => state.counts)
  return (
    <dl className="glance-counts" data-total={totalOf(counts)}>
      {JOB_STATES.map((state) => (
        <div key={state} className="glance-count" data-count-state={state} data-count={counts[state]}>
          <dt>
            <span className={`dot dot-${state}`} aria-hidden="true" />
            {STATE_LABELS[state]}
          </dt>
          <dd>{formatCount(counts[state])}</dd>
        </div>
      ))}
    </dl>
  )
}

export function AtAGlance() {
  const problem = useDashboard((state) => state.glanceProblem)
  const health = useDashboard((state) => state.health)
  const breakers = useDashboard((state) => state.breakers)
  const attention = (health !== null && health.status !== 'healthy') || breakers.some((breaker) => breaker.state !== 'closed')
  return (
    <section className={`panel glance${attention ? ' glance-attention' : ''}`} aria-labelledby="glance-title" data-attention={attention}>
      <header className="panel-head">
        <h2 className="panel-title" id="glance-title">
          At a glance
        </h2>
        <div className="panel-actions">
          <a className="inline-link" href="#/settings" data-settings-link>
            {attention ? 'Fix in Settings' : 'Breakers and health in Settings'}
          </a>
        </div>
      </header>
      <div className="panel-body glance-body">
        <Counts />
        <div className="glance-side">
          <h3 className="glance-heading">Health</h3>
          <Health />
          <h3 className="glance-heading">Breakers</h3>
          <Breakers />
          {problem && (
            <p className="form-problem" role="alert">
              Breakers and health could not be read: {problem}
            </p>
          )}
        </div>
      </div>
    </section>
  )
}
