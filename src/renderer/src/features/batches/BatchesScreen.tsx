/**
 * Batches: every batch with its progress bar, rate, ETA and cost; the open one in detail with
 * its sources, states, latency, failures, pause and cap, and its actions; and two runs of one
 * input compared. The address names the open batch (`#/batches/3`).
 */
import { useEffect, useMemo, type ReactNode } from 'react'
import type { StoreApi } from 'zustand/vanilla'
import type { BatchSummary } from '../../../../shared/batches'
import { usd } from '../../../../shared/costs'
import { useClient } from '../../client'
import { NoticeBanner } from '../../components/screen'
import { TableScroll } from '../../components/TableScroll'
import { useRoute } from '../../shell/route'
import { formatCount } from '../jobs/format'
import { BatchDetailPanel } from './BatchDetail'
import { createBatchesStore, type BatchesState } from './batches'
import { CompareRuns } from './CompareRuns'
import { BatchesContext, BatchProgress, etaText, useBatches } from './parts'
import './batches.css'

function BatchRow({ batch }: { batch: BatchSummary }) {
  const selectedId = useBatches((state) => state.selectedId)
  const go = useRoute((state) => state.go)
  const open = batch.id === selectedId
  return (
    <tr data-batch-row={batch.id} aria-selected={open} className={open ? 'batch-row-open' : undefined}>
      <td className="cell-id">
        <a href={`#/batches/${batch.id}`} className="inline-link" onClick={(event) => (event.preventDefault(), go({ batchId: batch.id }))}>
          {batch.id}
        </a>
      </td>
      <td className="batch-name">{batch.name}</td>
      <td className="batch-progress">
        <BatchProgress batch={batch} />
      </td>
      <td className="cell-number">{formatCount(batch.counts.dead)}</td>
      <td className="cell-number">{batch.ratePerMinute === null ? '—' : `${batch.ratePerMinute.toFixed(1)}/min`}</td>
      <td>{etaText(batch)}</td>
      <td className="cell-number">{usd(batch.costUsd)}</td>
    </tr>
  )
}

function BatchList() {
  const batches = useBatches((state) => state.batches)
  if (batches.length === 0) return <p className="empty">No batches yet: drop prompt files on this window, or run `genops enqueue FILE`.</p>
  return (
    <section className="panel" aria-labelledby="batch-list-title">
      <header className="panel-head">
        <h2 className="panel-title" id="batch-list-title">
          All batches
        </h2>
        <span className="muted">newest first</span>
      </header>
      <TableScroll label="Batches">
        <table className="data-table" data-batch-count={batches.length}>
          <thead>
            <tr>
              <th scope="col">Batch</th>
              <th scope="col">Name</th>
              <th scope="col">Progress</th>
              <th scope="col">Dead</th>
              <th scope="col">Rate</th>
              <th scope="col">ETA</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {batches.map((batch) => (
              <BatchRow key={batch.id} batch={batch} />
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  )
}

function Body() {
  const status = useBatches((state) => state.status)
  const problem = useBatches((state) => state.loadProblem)
  const notice = useBatches((state) => state.notice)
  const dismiss = useBatches((state) => state.dismissNotice)
  return (
    <main className="content scroll-content batches" data-screen-state={status}>
      <h1 className="screen-title">Batches</h1>
      <NoticeBanner notice={notice} onDismiss={dismiss} name="batches" />
      {status === 'loading' && <p className="empty">Loading the batches…</p>}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p className="empty-title">The batches could not be loaded</p>
          <p>{problem}</p>
        </div>
      )}
      {status === 'ready' && (
        <>
          <BatchDetailPanel />
          <BatchList />
          <CompareRuns />
        </>
      )}
    </main>
  )
}

function Provider({ store, children }: { store: StoreApi<BatchesState>; children: ReactNode }) {
  return <BatchesContext.Provider value={store}>{children}</BatchesContext.Provider>
}

export function BatchesScreen() {
  const client = useClient()
  const store = useMemo(() => createBatchesStore(client), [client])
  const batchId = useRoute((state) => state.batchId ?? null)
  useEffect(() => store.getState().start(), [store])
  useEffect(() => store.getState().select(batchId), [store, batchId])
  return (
    <Provider store={store}>
      <Body />
    </Provider>
  )
}
