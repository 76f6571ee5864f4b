/** What is set when GenOps starts (shown, not edited here), and the keyboard shortcuts. */
import { SHORTCUTS } from '../../shell/shortcuts'
import { useSettings } from './use-settings'

export function Engine() {
  const exporter = useSettings((state) => state.health?.checks.find((check) => check.name === 'exporter'))
  return (
    <section className="panel" aria-labelledby="engine-title">
      <header className="panel-head">
        <h2 className="panel-title" id="engine-title">
          Set at start-up
        </h2>
      </header>
      <dl className="panel-body facts">
        <div className="fact">
          <dt>Metrics exporter</dt>
          <dd data-exporter>{exporter ? exporter.detail : 'off, or not reported: start with --metrics-port to serve /metrics on 127.0.0.1 (default 9464)'}</dd>
        </div>
        <div className="fact">
          <dt>Retention</dt>
          <dd>
            Completed, dead and cancelled jobs are pruned by count and age (Engine settings above: <code>retention.*</code>); a pruned job leaves its counts and
            costs in the reports.
          </dd>
        </div>
      </dl>
    </section>
  )
}

export function Shortcuts() {
  return (
    <section className="panel" aria-labelledby="shortcuts-title">
      <header className="panel-head">
        <h2 className="panel-title" id="shortcuts-title">
          Keyboard shortcuts
        </h2>
        <span className="muted">not while typing in a field</span>
      </header>
      <dl className="panel-body facts" data-shortcuts={SHORTCUTS.length}>
        {SHORTCUTS.map((shortcut) => (
          <div key={shortcut.keys} className="fact">
            <dt>
              <kbd>{shortcut.keys}</kbd>
            </dt>
            <dd>{shortcut.what}</dd>
          </div>
        ))}
      </dl>
    </section>
  )
}
