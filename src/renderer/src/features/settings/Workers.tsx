/** Workers: the engines working this queue, each with its host and process, version, state, last heartbeat and the jobs it holds. */
import { useEffect, useMemo } from 'react'
import { useStore } from 'zustand'
import { WORKER_BEAT_MS, type WorkerState } from '../../../../shared/workers'
import { useClient } from '../../client'
import { TableScroll } from '../../components/TableScroll'
import { formatCreated } from '../jobs/format'
import { createWorkersStore } from './workers'

const STATE: Record<WorkerState, { label: string; tone: string }> = {
  running: { label: 'running', tone: 'badge-pass' },
  silent: { label: 'silent: no heartbeat', tone: 'badge-warn' },
  gone: { label: 'gone: its process ended', tone: 'badge-fail' },
  stopped: { label: 'stopped', tone: 'badge-neutral' },
}

export function Workers() {
  const client = useClient()
  const store = useMemo(() => createWorkersStore(client), [client])
  useEffect(() => {
    void store.getState().load()
    const timer = setInterval(() => void store.getState().load(), WORKER_BEAT_MS)
    return () => clearInterval(timer)
  }, [store])
  const { workers, problem } = useStore(store)
  return (
    <section className="panel" aria-labelledby="workers-title" data-workers={workers?.length ?? ''}>
      <header className="panel-head">
        <h2 className="panel-title" id="workers-title">
          Workers
        </h2>
        <span className="muted">
          the engines working this queue: this window's, <code>genops serve</code> and <code>genops run</code>
        </span>
      </header>
      {workers !== null && workers.length === 0 && <p className="panel-body muted">No engine has worked this queue yet.</p>}
      {workers !== null && workers.length > 0 && (
        <TableScroll label="Workers">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Jobs held</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {workers.map((worker) => (
                <tr key={worker.owner} data-worker={worker.pid} data-worker-state={worker.state} data-worker-self={worker.self || undefined}>
                  <td className="cell-mono">
                    {worker.host}:{worker.pid}
                    {worker.self && <span className="muted"> (this engine)</span>}
                  </td>
                  <td className="cell-mono">{worker.version}</td>
                  <td>
                    <span className={`badge ${STATE[worker.state].tone}`}>{STATE[worker.state].label}</span>
                  </td>
                  <td data-worker-claims={worker.claims}>{worker.claims}</td>
                  <td className="cell-time" title={new Date(worker.heartbeatAt).toLocaleString()}>
                    {formatCreated(worker.heartbeatAt)}
                  </td>
                  <td className="cell-time" title={new Date(worker.startedAt).toLocaleString()}>
                    {formatCreated(worker.startedAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {problem && (
        <div className="panel-body">
          <p className="form-problem" role="alert" data-workers-problem>
            {problem}
          </p>
        </div>
      )}
    </section>
  )
}
