/** Purging deletes dead jobs for good: the operator says yes first. */
import { scopeWords } from './failures'
import { useFailures } from './use-failures'

export function PurgeConfirm() {
  const confirming = useFailures((state) => state.confirming)
  const selected = useFailures((state) => state.selected.length)
  const filter = useFailures((state) => state.filter)
  const purge = useFailures((state) => state.purge)
  const cancel = useFailures((state) => state.cancelPurge)
  if (!confirming) return null
  return (
    <div className="dialog-backdrop">
      <section
        className="dialog confirm-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="purge-title"
        data-confirm="purge"
        onKeyDown={(event) => {
          if (event.key === 'Escape') cancel()
        }}
      >
        <header className="dialog-head">
          <h2 id="purge-title">Purge {scopeWords(confirming, selected, filter)}?</h2>
        </header>
        <div className="dialog-body">
          <p>Purged jobs are deleted with their attempts and events: they cannot be retried afterwards. Their cost and counts stay in the reports.</p>
        </div>
        <footer className="dialog-actions">
          <button type="button" className="button" autoFocus onClick={cancel}>
            Keep them
          </button>
          <button type="button" className="button button-danger button-primary" data-confirm-purge onClick={() => void purge()}>
            Purge
          </button>
        </footer>
      </section>
    </div>
  )
}
