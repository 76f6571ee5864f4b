/** The regression set: jobs pinned from flagged groups, re-run after a fix to see which now pass. */
import type { RegressionCase, RegressionOutcome } from '../../../../shared/failures'
import { formatCreated } from '../jobs/format'
import { useFailures } from './use-failures'
import { TableScroll } from '../../components/TableScroll'

const OUTCOME: Record<RegressionOutcome, { label: string; tone: string }> = {
  running: { label: 'running', tone: 'badge-active' },
  passed: { label: 'passes', tone: 'badge-pass' },
  failed: { label: 'still fails', tone: 'badge-fail' },
  removed: { label: 'job removed', tone: 'badge-neutral' },
}

function LastRun({ run }: { run: RegressionCase['lastRun'] }) {
  if (!run) return <span className="muted">not run yet</span>
  const { label, tone } = OUTCOME[run.outcome]
  return (
    <span className="last-run">
      <span className={`badge ${tone}`}>{label}</span>{' '}
      <a className="inline-link" href={`#/jobs/${run.jobId}`}>
        job #{run.jobId}
      </a>{' '}
      <span className="muted">{formatCreated(run.at)}</span>
      {run.outcome === 'failed' && run.error && <span className="error-text run-error">{run.error}</span>}
    </span>
  )
}

export function Regressions() {
  const cases = useFailures((state) => state.cases)
  const run = useFailures((state) => state.runRegressions)
  const busy = useFailures((state) => state.busy !== null)
  const passing = cases.filter((c) => c.lastRun?.outcome === 'passed').length
  const failing = cases.filter((c) => c.lastRun?.outcome === 'failed').length
  const ran = cases.filter((c) => c.lastRun && c.lastRun.outcome !== 'running').length
  return (
    <section className="panel" aria-labelledby="regressions-title" data-cases={cases.length} data-passing={passing} data-failing={failing}>
      <header className="panel-head">
        <h2 className="panel-title" id="regressions-title">
          Regression set
        </h2>
        {ran > 0 && (
          <span className="muted">
            {passing} of {ran} {ran === 1 ? 'case passes' : 'cases pass'}
          </span>
        )}
        <div className="panel-actions">
          <button type="button" className="button" disabled={busy || cases.length === 0} data-run-regressions onClick={() => void run()}>
            Run regression set
          </button>
        </div>
      </header>
      {cases.length === 0 ? (
        <div className="empty">
          <p className="empty-title">No regression cases</p>
          <p>Pin a flagged failure group to keep its jobs as cases, then run them again after a fix to see which pass.</p>
        </div>
      ) : (
        <TableScroll label="Regression cases">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Case</th>
                <th scope="col">Group</th>
                <th scope="col">Prompt</th>
                <th scope="col">Last run</th>
              </tr>
            </thead>
            <tbody>
              {cases.map((c) => (
                <tr key={c.id} data-case-id={c.id} data-outcome={c.lastRun?.outcome ?? 'none'}>
                  <td className="cell-id">{c.id}</td>
                  <td>
                    {c.category ? <span className="badge badge-dead">{c.category}</span> : <span className="muted">group gone</span>}
                    {c.pattern && <div className="cell-mono muted">{c.pattern}</div>}
                  </td>
                  <td className="cell-prompt-wrap">{c.spec ? c.spec.prompt.slice(0, 200) : <span className="error-text">{c.problem}</span>}</td>
                  <td>
                    <LastRun run={c.lastRun} />
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
