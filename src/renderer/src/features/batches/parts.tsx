/** What the batches screen's parts share: its store, a batch's progress bar, and its ETA in words. */
import { createContext, useContext } from 'react'
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import { formatEta, type BatchSummary } from '../../../../shared/batches'
import { formatCount } from '../jobs/format'
import type { BatchesState } from './batches'

export const BatchesContext = createContext<StoreApi<BatchesState> | null>(null)

export function useBatches<T>(selector: (state: BatchesState) => T): T {
  const store = useContext(BatchesContext)
  if (!store) throw new Error('useBatches: no batches store above this component')
  return useStore(store, selector)
}

/** A batch's progress as a bar and words; the bar is a progressbar for assistive technology. */
export function BatchProgress({ batch }: { batch: BatchSummary }) {
  const percent = batch.total === 0 ? 0 : Math.round((batch.finished / batch.total) * 100)
  return (
    <div className="progress-cell">
      <div
        className="progress"
        role="progressbar"
        aria-label={`Batch ${batch.id} progress`}
        aria-valuemin={0}
        aria-valuemax={batch.total}
        aria-valuenow={batch.finished}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="progress-text" data-batch-done={batch.finished}>
        {formatCount(batch.finished)} of {formatCount(batch.total)}
      </span>
    </div>
  )
}

export function etaText(batch: BatchSummary): string {
  if (batch.held) return batch.held
  if (batch.counts.queued + batch.counts.submitted + batch.counts.active === 0) return 'finished'
  return batch.etaMs === null ? 'waiting for a rate' : `about ${formatEta(batch.etaMs)} left`
}
