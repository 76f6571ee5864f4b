/**
 * Dashboard: how the queue is doing now and lately. Throughput, queue depth, latency
 * percentiles, tokens and cost over the picked range; breakers, health and the jobs by state
 * at a glance; and, before anything has run, what to do first.
 */
import { useEffect, useMemo } from 'react'
import { useChartTheme } from '../../charts/theme'
import { useClient } from '../../client'
import { totalOf } from '../../stores/queue'
import { useQueue } from '../../stores/use-queue'
import { RunningBatches } from '../batches/RunningBatches'
import { AtAGlance } from './AtAGlance'
import { createDashboardStore } from './dashboard'
import { SeriesChart } from './SeriesChart'
import { CHARTS, hasValues, RANGES } from './series'
import { DashboardProvider, useDashboard } from './use-dashboard'
import './dashboard.css'

function RangePicker() {
  const range = useDashboard((state) => state.range)
  const setRange = useDashboard((state) => state.setRange)
  return (
    <div className="chips" role="group" aria-label="Time range">
      {RANGES.map((option) => (
        <button
          key={option.id}
          type="button"
          className="chip"
          aria-pressed={option.id === range}
          data-range={option.id}
          title={`one point per ${option.resolution}`}
          onClick={() => setRange(option.id)}
        >
          {option.label}
        </button>
      ))}
    </div>
  )
}

function NothingYet() {
  const demo = useDashboard((state) => state.demo)
  const trySimulator = useDashboard((state) => state.trySimulator)
  return (
    <section className="panel" data-dashboard-empty>
      <div className="empty">
        <p className="empty-title">Nothing has run yet: drop prompt files anywhere on this window, or try the simulator</p>
        <p>The simulator is built in: it answers with made-up text, costs nothing and draws every chart here.</p>
        <p>
          <button type="button" className="button button-primary" disabled={demo.state === 'busy'} data-try-simulator onClick={() => void trySimulator()}>
            Run a few simulator jobs
          </button>
        </p>
        {demo.text && (
          <p className={demo.state === 'error' ? 'form-problem' : 'form-note'} role={demo.state === 'error' ? 'alert' : 'status'}>
            {demo.text}
          </p>
        )}
      </div>
    </section>
  )
}

function Charts() {
  const theme = useChartTheme()
  const series = useDashboard((state) => state.series)
  const total = useQueue((state) => totalOf(state.counts))
  const anything =
    total > 0 ||
    CHARTS.some((chart) =>
      hasValues(
        series[chart.metric],
        chart.lines.map((line) => line.field),
      ),
    )
  return (
    <>
      {!anything && <NothingYet />}
      <div className="charts">
        {CHARTS.map((spec) => (
          <SeriesChart key={spec.metric} spec={spec} theme={theme} />
        ))}
      </div>
    </>
  )
}

function Body() {
  const status = useDashboard((state) => state.status)
  const loadProblem = useDashboard((state) => state.loadProblem)
  const refreshProblem = useDashboard((state) => state.refreshProblem)
  return (
    <main className="content scroll-content dashboard" data-screen-state={status} tabIndex={-1}>
      <div className="dashboard-head">
        <h1 className="dashboard-title">Dashboard</h1>
        <RangePicker />
      </div>
      {refreshProblem && (
        <p className="form-problem" role="alert">
          {refreshProblem}
        </p>
      )}
      {status === 'loading' && <p className="empty">Loading the charts…</p>}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p className="empty-title">The dashboard could not be loaded</p>
          <p>{loadProblem}</p>
        </div>
      )}
      <AtAGlance />
      <RunningBatches />
      {status === 'ready' && <Charts />}
    </main>
  )
}

export function DashboardScreen() {
  const client = useClient()
  const store = useMemo(() => createDashboardStore(client), [client])
  useEffect(() => store.getState().start(), [store])
  return (
    <DashboardProvider store={store}>
      <Body />
    </DashboardProvider>
  )
}
