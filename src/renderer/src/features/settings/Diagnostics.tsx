/** A diagnostic bundle to attach to a bug report: a zip of logs, settings and figures, secrets redacted. */
import { useMemo } from 'react'
import { useStore } from 'zustand'
import { useClient } from '../../client'
import { formatBytes, plural } from '../../words'
import { createBundleStore } from './bundle'

export function Diagnostics() {
  const client = useClient()
  const store = useMemo(() => createBundleStore(client), [client])
  const { phase, bundle, problem, exportBundle } = useStore(store)
  return (
    <section className="panel" aria-labelledby="diagnostics-title" data-bundle-state={phase}>
      <header className="panel-head">
        <h2 className="panel-title" id="diagnostics-title">
          Diagnostics
        </h2>
        <span className="muted">logs, settings and recent figures in one zip, with keys and secrets redacted</span>
        <div className="panel-actions">
          <button type="button" className="button" disabled={phase === 'busy'} data-export-bundle onClick={() => void exportBundle()}>
            {phase === 'busy' ? 'Exporting…' : 'Export diagnostic bundle'}
          </button>
        </div>
      </header>
      {phase === 'done' && bundle && (
        <div className="panel-body bundle-result">
          <p>
            Written to{' '}
            <code className="cell-mono bundle-path" data-bundle-path>
              {bundle.path}
            </code>
          </p>
          <p className="muted" data-bundle-size={bundle.bytes} data-bundle-files={bundle.files}>
            {formatBytes(bundle.bytes)} · {plural(bundle.files, 'file')}
          </p>
          {bundle.problems.length > 0 && (
            <div className="form-note" data-bundle-problems={bundle.problems.length}>
              <p>Some parts could not be collected; the bundle holds the rest:</p>
              <ul className="bundle-problems">
                {bundle.problems.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
      {phase === 'error' && (
        <div className="panel-body">
          <p className="form-problem" role="alert" data-bundle-problem>
            {problem}
          </p>
        </div>
      )}
    </section>
  )
}
