/**
 * Costs: usage and spend by provider, model, day, batch or tag over the picked range, with
 * a chart per day and a CSV export; the budgets that alert or pause when crossed; and the
 * prices that turn tokens into dollars.
 */
import { useEffect, useMemo } from 'react'
import { COST_REPORT_BY } from '../../../../shared/costs'
import { useClient } from '../../client'
import { Budgets } from './Budgets'
import { CostChart } from './CostChart'
import { createCostsStore } from './costs'
import { downloadText } from '../../download'
import { Prices } from './Prices'
import { Report } from './Report'
import { BY_LABELS, SINCE_CHOICES } from './report'
import { CostsProvider, useCosts } from './use-costs'
import './costs.css'

function Notice() {
  const notice = useCosts((state) => state.notice)
  const dismiss = useCosts((state) => state.dismissNotice)
  if (!notice) return null
  return (
    <div
      className={`banner ${notice.tone === 'error' ? 'banner-critical' : 'banner-info'}`}
      role={notice.tone === 'error' ? 'alert' : 'status'}
      data-costs-notice={notice.tone}
    >
      <span>{notice.text}</span>
      <button type="button" className="button button-quiet" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  )
}

function Pickers() {
  const since = useCosts((state) => state.since)
  const by = useCosts((state) => state.by)
  const setSince = useCosts((state) => state.setSince)
  const setBy = useCosts((state) => state.setBy)
  const exportCsv = useCosts((state) => state.exportCsv)
  const ready = useCosts((state) => state.report !== null)
  return (
    <div className="costs-head">
      <h1 className="costs-title">Costs</h1>
      <div className="chips" role="group" aria-label="Range">
        {SINCE_CHOICES.map((choice) => (
          <button key={choice.id} type="button" className="chip" aria-pressed={choice.id === since} data-since={choice.id} onClick={() => setSince(choice.id)}>
            {choice.label}
          </button>
        ))}
      </div>
      <div className="chips" role="group" aria-label="Group by">
        {COST_REPORT_BY.map((option) => (
          <button key={option} type="button" className="chip" aria-pressed={option === by} data-by={option} onClick={() => setBy(option)}>
            {BY_LABELS[option]}
          </button>
        ))}
      </div>
      <button
        type="button"
        className="button costs-export"
        disabled={!ready}
        data-export-csv
        onClick={() => {
          const file = exportCsv()
          if (file) downloadText(file.name, file.text)
        }}
      >
        Export CSV
      </button>
    </div>
  )
}

function Body() {
  const status = useCosts((state) => state.status)
  const problem = useCosts((state) => state.loadProblem)
  const by = useCosts((state) => state.by)
  const since = useCosts((state) => state.since)
  const shown = useCosts((state) => (state.report ? `${state.report.by}` : null))
  // Ready once the report on screen is the one the pickers name.
  const state = status === 'ready' && shown !== by ? 'loading' : status
  return (
    <main className="content scroll-content costs" data-screen-state={state} data-by={by} data-since={since} tabIndex={-1}>
      <Pickers />
      {status === 'loading' && <p className="empty">Loading costs…</p>}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p className="empty-title">The costs could not be loaded</p>
          <p>{problem}</p>
        </div>
      )}
      {status === 'ready' && (
        <>
          <CostChart />
          <Report />
          <Budgets />
          <Prices />
        </>
      )}
    </main>
  )
}

export function CostsScreen() {
  const client = useClient()
  const store = useMemo(() => createCostsStore(client), [client])
  useEffect(() => store.getState().start(), [store])
  return (
    <CostsProvider store={store}>
      <Notice />
      <Body />
    </CostsProvider>
  )
}
