/**
 * The dashboard's running batches: each with its progress and ETA, linked to its place on the
 * batches screen. Refreshed (throttled) as the engine's counts change; shows nothing while no
 * batch has jobs waiting or running.
 */
import { useEffect, useState } from 'react'
import type { BatchSummary } from '../../../../shared/batches'
import { useClient } from '../../client'
import { throttle } from '../../stores/throttle'
import { BatchProgress, etaText } from './parts'

const REFRESH_MS = 2000

export function RunningBatches() {
  const client = useClient()
  const [running, setRunning] = useState<BatchSummary[]>([])
  useEffect(() => {
    let live = true
    const refresh = throttle(async () => {
      const { batches } = await client.listBatches({ limit: 50 }).catch(() => ({ batches: [] as BatchSummary[] }))
      if (live) setRunning(batches.filter((batch) => batch.counts.queued + batch.counts.submitted + batch.counts.active > 0))
    }, REFRESH_MS)
    const stop = client.onEvent((event) => {
      if (event.type === 'counts') refresh.request()
    })
    refresh.request()
    return () => {
      live = false
      stop()
      refresh.cancel()
    }
  }, [client])
  if (running.length === 0) return null
  return (
    <section className="panel" aria-labelledby="running-batches-title" data-running-batches={running.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="running-batches-title">
          Running batches
        </h2>
      </header>
      <ul className="panel-body running-batches">
        {running.map((batch) => (
          <li key={batch.id} data-running-batch={batch.id}>
            <a className="inline-link" href={`#/batches/${batch.id}`}>
              Batch {batch.id}: {batch.name}
            </a>
            <BatchProgress batch={batch} />
            <span className="muted">{etaText(batch)}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}
