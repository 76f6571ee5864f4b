/** What can be done to the selected jobs: cancel those still waiting or running, retry those that ended badly. */
import type { JobState } from '../../../../shared/jobs'
import { formatCount } from './format'
import { useBulk, useJobList } from './use-jobs'

const CANCELLABLE: readonly JobState[] = ['queued', 'delayed', 'submitted', 'active']
const RETRYABLE: readonly JobState[] = ['dead', 'cancelled']

export function SelectionBar() {
  const selected = useJobList((state) => state.selected)
  const rows = useJobList((state) => state.rows)
  const clear = useJobList((state) => state.clearSelection)
  const ask = useBulk((state) => state.ask)
  if (selected.size === 0) return null
  const chosen = rows.filter((row) => selected.has(row.id))
  const cancellable = chosen.filter((row) => CANCELLABLE.includes(row.state)).map((row) => row.id)
  const retryable = chosen.filter((row) => RETRYABLE.includes(row.state)).map((row) => row.id)
  return (
    <div className="selection-bar" role="toolbar" aria-label="Selected jobs" data-selected={selected.size}>
      <strong>{formatCount(selected.size)} selected</strong>
      <button type="button" className="button" data-bulk="cancel" disabled={cancellable.length === 0} onClick={() => ask('cancel', cancellable)}>
        Cancel {formatCount(cancellable.length)}
      </button>
      <button type="button" className="button" data-bulk="retry" disabled={retryable.length === 0} onClick={() => ask('retry', retryable)}>
        Retry {formatCount(retryable.length)}
      </button>
      <button type="button" className="button button-quiet" onClick={clear}>
        Clear selection
      </button>
    </div>
  )
}
