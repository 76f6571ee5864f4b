/** Purging deletes dead jobs for good: the operator says yes first. */
import { useRef } from 'react'
import { useDialogFocus } from '../../components/use-dialog-focus'
import { scopeWords } from './failures'
import { useFailures } from './use-failures'

export function PurgeConfirm() {
  const confirming = useFailures((state) => state.confirming)
  if (!confirming) return null
  return <PurgeDialog />
}

/** Mounted only while asking, so the focus goes in when it opens and back when it closes. */
function PurgeDialog() {
  const ref = useRef<HTMLElement>(null)
  useDialogFocus(ref)
  const confirming = useFailures((state) => state.confirming)
  const selected = useFailures((state) => state.selected.length)
  const filter = useFailures((state) => state.filter)
  const purge = useFailures((state) => state.purge)
  const cancel = useFailures((state) => state.cancelPurge)
  if (!confirming) return null
  return (
    <div className="dialog-backdrop">
      <section
        ref={ref}
        className="dialog confirm-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="purge-title"
        data-confirm="purge"
        onKeyDown={(event) => {
          if (event.key === 'Escape') cancel()
        }}
      >
        <div className="dialog-head">
          <h2 id="purge-title">Purge {scopeWords(confirming, selected, filter)}?</h2>
        </div>
        <div className="dialog-body">
          <p>Purged jobs are deleted with their attempts and events: they cannot be retried afterwards. Their cost and counts stay in the reports.</p>
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" autoFocus onClick={cancel}>
            Keep them
          </button>
          <button type="button" className="button button-danger button-primary" data-confirm-purge onClick={() => void purge()}>
            Purge
          </button>
        </div>
      </section>
    </div>
  )
}
