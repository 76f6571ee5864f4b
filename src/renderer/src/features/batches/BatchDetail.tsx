/** The open batch: where its jobs came from, how far along it is and what it cost, and what can be done with it. */
import { useState, type FormEvent } from 'react'
import { EXPORT_FORMATS, type BatchDetail, type RerunChanges } from '../../../../shared/batches'
import { usd } from '../../../../shared/costs'
import { formatCount } from '../jobs/format'
import { BatchProgress, etaText, useBatches } from './parts'

function Figures({ batch }: { batch: BatchDetail }) {
  const figures: [string, string][] = [
    [
      'States',
      Object.entries(batch.counts)
        .map(([state, n]) => `${state} ${formatCount(n)}`)
        .join(' · '),
    ],
    ['Rate', batch.ratePerMinute === null ? '—' : `${batch.ratePerMinute.toFixed(1)} jobs a minute`],
    ['ETA', etaText(batch)],
    ['Cost', `${usd(batch.costUsd)} so far${batch.estimatedTotalUsd === null ? '' : `, about ${usd(batch.estimatedTotalUsd)} in all`}`],
    ['Tokens', `${formatCount(batch.inputTokens)} in · ${formatCount(batch.outputTokens)} out`],
    ['Latency', batch.p95LatencyMs === null ? '—' : `p50 ${batch.p50LatencyMs} ms · p95 ${batch.p95LatencyMs} ms`],
    ['Failures', batch.failures.length === 0 ? 'none' : batch.failures.map((f) => `${f.category} ${formatCount(f.count)}`).join(' · ')],
    ['Paused', batch.pause ? batch.pause.reason : 'no'],
    ['Cap', batch.maxConcurrency === null ? 'none' : `${batch.maxConcurrency} at once${batch.cappedBy ? `, set by ${batch.cappedBy}` : ''}`],
  ]
  if (batch.rerunOf !== null) figures.push(['Re-run of', `batch ${batch.rerunOf}${batch.rerunChanges ? `: ${JSON.stringify(batch.rerunChanges)}` : ''}`])
  return (
    <dl className="batch-figures">
      {figures.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  )
}

function Actions({ batch }: { batch: BatchDetail }) {
  const busy = useBatches((state) => state.busy)
  const { pause, resume, cancel, retryDead, exportAs, cap } = useBatches((state) => state)
  const [limit, setLimit] = useState(batch.maxConcurrency === null ? '' : String(batch.maxConcurrency))
  const open = batch.counts.queued + batch.counts.submitted + batch.counts.active > 0
  const submitCap = (event: FormEvent) => {
    event.preventDefault()
    const value = Number(limit)
    void cap(limit.trim() === '' ? null : Number.isInteger(value) && value > 0 ? value : null)
  }
  return (
    <div className="batch-actions">
      <div className="toolbar" role="group" aria-label="Batch actions">
        {batch.pause ? (
          <button type="button" className="button" disabled={busy !== null} onClick={() => void resume()} data-batch-action="resume">
            Resume
          </button>
        ) : (
          <button type="button" className="button" disabled={busy !== null || !open} onClick={() => void pause()} data-batch-action="pause">
            Pause
          </button>
        )}
        <button type="button" className="button button-danger" disabled={busy !== null || !open} onClick={() => void cancel()} data-batch-action="cancel">
          Cancel open jobs
        </button>
        <button type="button" className="button" disabled={busy !== null || batch.counts.dead === 0} onClick={() => void retryDead()} data-batch-action="retry">
          Retry failed
        </button>
      </div>
      <div className="toolbar" role="group" aria-label="Export results">
        {EXPORT_FORMATS.map((format) => (
          <button key={format} type="button" className="button" disabled={busy !== null} onClick={() => void exportAs(format)} data-export={format}>
            Export {format.toUpperCase()}
          </button>
        ))}
      </div>
      <form className="toolbar" onSubmit={submitCap}>
        <label className="field">
          <span className="field-label">Most jobs at once</span>
          <input type="number" min={1} value={limit} placeholder="no cap" onChange={(event) => setLimit(event.target.value)} name="cap" />
        </label>
        <button type="submit" className="button" disabled={busy !== null}>
          Set cap
        </button>
      </form>
    </div>
  )
}

function Rerun() {
  const busy = useBatches((state) => state.busy)
  const estimate = useBatches((state) => state.estimate)
  const { estimateRerun, rerun } = useBatches((state) => state)
  const [provider, setProvider] = useState('')
  const [model, setModel] = useState('')
  const [config, setConfig] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const changes = (): RerunChanges | null => {
    const out: RerunChanges = {}
    if (provider.trim()) out.provider = provider.trim()
    if (model.trim()) out.model = model.trim()
    if (config.trim()) {
      try {
        const value: unknown = JSON.parse(config)
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object')
        out.config = value as Record<string, unknown>
      } catch {
        setProblem('The config is a JSON object, like {"temperature": 0.2}.')
        return null
      }
    }
    if (Object.keys(out).length === 0) {
      setProblem('Say what changes: a provider, a model or config keys.')
      return null
    }
    setProblem(null)
    return out
  }
  return (
    <form className="batch-rerun" onSubmit={(event) => (event.preventDefault(), void (changes() && rerun(changes()!)))} data-rerun-form>
      <h3 className="batch-subtitle">Run again with changes</h3>
      <div className="toolbar">
        <label className="field">
          <span className="field-label">Provider or profile</span>
          <input value={provider} onChange={(event) => setProvider(event.target.value)} name="provider" placeholder="as before" />
        </label>
        <label className="field">
          <span className="field-label">Model</span>
          <input value={model} onChange={(event) => setModel(event.target.value)} name="model" placeholder="as before" />
        </label>
        <label className="field field-wide">
          <span className="field-label">Config (JSON)</span>
          <input value={config} onChange={(event) => setConfig(event.target.value)} name="config" placeholder='{"temperature": 0.2}' />
        </label>
        <button type="button" className="button" disabled={busy !== null} onClick={() => void (changes() && estimateRerun(changes()!))} data-rerun="estimate">
          Estimate
        </button>
        <button type="submit" className="button button-primary" disabled={busy !== null} data-rerun="run">
          Run again
        </button>
      </div>
      {problem && (
        <p className="form-problem" role="alert">
          {problem}
        </p>
      )}
      {estimate && (
        <p className="form-note" data-rerun-estimate={estimate.estimatedUsd ?? ''}>
          Estimate: {estimate.basis}
        </p>
      )}
    </form>
  )
}

export function BatchDetailPanel() {
  const batch = useBatches((state) => state.detail)
  const selectedId = useBatches((state) => state.selectedId)
  if (selectedId === null) return null
  if (batch === null || batch.id !== selectedId) return <p className="empty">Loading batch {selectedId}…</p>
  const running = batch.counts.queued + batch.counts.submitted + batch.counts.active > 0
  return (
    <section
      className="panel"
      aria-labelledby="batch-title"
      data-batch={batch.id}
      data-batch-state={running ? 'running' : 'finished'}
      data-batch-done={batch.finished}
    >
      <header className="panel-head">
        <h2 className="panel-title" id="batch-title">
          Batch {batch.id}: {batch.name}
        </h2>
        <span className="muted">{batch.sources.map((source) => `${source.name} (${formatCount(source.jobs)} ${source.format} rows)`).join(', ')}</span>
      </header>
      <div className="panel-body">
        <BatchProgress batch={batch} />
        <Figures batch={batch} />
        <Actions key={batch.id} batch={batch} />
        <Rerun key={`rerun-${batch.id}`} />
      </div>
    </section>
  )
}
