/**
 * The dead-letter queue: statistics by category (each a filter), filters by category,
 * provider and batch, and retry (with fresh attempts) or purge of one job, the ticked
 * ones, or every one that matches.
 */
import { ERROR_CATEGORIES, type ErrorCategory } from '../../../../shared/errors'
import type { DeadJob } from '../../../../shared/failures'
import { formatCount, formatCreated, providerLabel } from '../jobs/format'
import { ErrorSeverityBadge } from '../jobs/SeverityBadge'
import { plural } from '../../words'
import { DEAD_PAGE } from './failures'
import { useFailures } from './use-failures'
import { TableScroll } from '../../components/TableScroll'

const CATEGORIES = Object.keys(ERROR_CATEGORIES) as ErrorCategory[]

function CategoryStats() {
  const stats = useFailures((state) => state.stats)
  const category = useFailures((state) => state.filter.category)
  const setFilter = useFailures((state) => state.setFilter)
  if (stats.total === 0) return null
  return (
    <div className="chips dead-stats" aria-label="Dead jobs by category">
      {stats.byCategory.map(({ category: name, count }) =>
        name === null ? (
          <span key="none" className="chip" data-stat-category="none">
            uncategorised <span className="chip-count">{formatCount(count)}</span>
          </span>
        ) : (
          <button
            key={name}
            type="button"
            className="chip"
            aria-pressed={category === name}
            data-stat-category={name}
            data-count={count}
            onClick={() => setFilter({ category: category === name ? undefined : (name as ErrorCategory) })}
          >
            {name} <span className="chip-count">{formatCount(count)}</span>
          </button>
        ),
      )}
    </div>
  )
}

function Filters() {
  const filter = useFailures((state) => state.filter)
  const providers = useFailures((state) => state.stats.byProvider)
  const setFilter = useFailures((state) => state.setFilter)
  return (
    <div className="toolbar" role="search" aria-label="Filter dead jobs">
      <label>
        <span className="visually-hidden">Category</span>
        <select
          name="category"
          value={filter.category ?? ''}
          onChange={(event) => setFilter({ category: (event.target.value || undefined) as ErrorCategory | undefined })}
        >
          <option value="">Every category</option>
          {CATEGORIES.map((category) => (
            <option key={category} value={category}>
              {category}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="visually-hidden">Provider</span>
        <select name="provider" value={filter.provider ?? ''} onChange={(event) => setFilter({ provider: event.target.value || undefined })}>
          <option value="">Every provider</option>
          {providers.map(({ provider, count }) => (
            <option key={provider} value={provider}>
              {providerLabel(provider)} ({count})
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="visually-hidden">Batch</span>
        <input
          name="batch"
          inputMode="numeric"
          placeholder="Batch number"
          value={filter.batchId ?? ''}
          onChange={(event) => {
            const batchId = Number(event.target.value)
            setFilter({ batchId: Number.isInteger(batchId) && batchId > 0 ? batchId : undefined })
          }}
        />
      </label>
      {(filter.category || filter.provider || filter.batchId) && (
        <button type="button" className="button button-quiet" onClick={() => setFilter({ category: undefined, provider: undefined, batchId: undefined })}>
          Clear filters
        </button>
      )}
    </div>
  )
}

function Actions() {
  const selected = useFailures((state) => state.selected.length)
  const shown = useFailures((state) => state.dead.length)
  const busy = useFailures((state) => state.busy !== null)
  const retry = useFailures((state) => state.retry)
  const askPurge = useFailures((state) => state.askPurge)
  const anyFilter = useFailures((state) => Object.keys(state.filter).length > 0)
  const matching = anyFilter ? 'all matching' : 'all'
  return (
    <div className="panel-actions">
      <button type="button" className="button" disabled={busy || selected === 0} data-retry-selected onClick={() => void retry({ kind: 'selected' })}>
        Retry {selected ? plural(selected, 'selected job') : 'selected'}
      </button>
      <button type="button" className="button" disabled={busy || shown === 0} data-retry-matching onClick={() => void retry({ kind: 'matching' })}>
        Retry {matching}
      </button>
      <button type="button" className="button button-danger" disabled={busy || selected === 0} onClick={() => askPurge({ kind: 'selected' })}>
        Purge selected
      </button>
      <button type="button" className="button button-danger" disabled={busy || shown === 0} data-purge-matching onClick={() => askPurge({ kind: 'matching' })}>
        Purge {matching}
      </button>
    </div>
  )
}

function Row({ job }: { job: DeadJob }) {
  const ticked = useFailures((state) => state.selected.includes(job.id))
  const toggle = useFailures((state) => state.toggle)
  const retry = useFailures((state) => state.retry)
  const askPurge = useFailures((state) => state.askPurge)
  const busy = useFailures((state) => state.busy !== null)
  return (
    <tr data-dead-job-id={job.id} data-category={job.errorCategory ?? 'none'}>
      <td className="cell-check">
        <input type="checkbox" aria-label={`Select job ${job.id}`} checked={ticked} onChange={() => toggle(job.id)} />
      </td>
      <td className="cell-id">
        <a className="inline-link" href={`#/jobs/${job.id}`}>
          #{job.id}
        </a>
      </td>
      <td>
        {job.errorCategory ? <span className="badge badge-dead">{job.errorCategory}</span> : <span className="muted">uncategorised</span>}
        {job.severity && <ErrorSeverityBadge severity={job.severity} />}
      </td>
      <td>
        <span className="provider">{providerLabel(job.provider)}</span>
        <span className="model">{job.model ?? job.ranModel ?? 'provider default'}</span>
      </td>
      <td>{job.batchId ?? '—'}</td>
      <td>
        {job.attemptsMade}
        <span className="muted"> / {job.maxAttempts}</span>
      </td>
      <td className="cell-time" title={job.finishedAt ? new Date(job.finishedAt).toLocaleString() : undefined}>
        {job.finishedAt ? formatCreated(job.finishedAt) : '—'}
      </td>
      <td className="dead-error">
        <span className="error-text">{job.lastError ?? 'no error kept'}</span>
        <span className="muted dead-prompt">{job.promptPreview}</span>
      </td>
      <td className="cell-actions">
        <button type="button" className="button button-small" disabled={busy} data-retry={job.id} onClick={() => void retry({ kind: 'one', id: job.id })}>
          Retry
        </button>
        <button
          type="button"
          className="button button-small button-danger"
          disabled={busy}
          data-purge={job.id}
          onClick={() => askPurge({ kind: 'one', id: job.id })}
        >
          Purge
        </button>
      </td>
    </tr>
  )
}

function Table() {
  const dead = useFailures((state) => state.dead)
  const total = useFailures((state) => state.stats.total)
  const anyFilter = useFailures((state) => Object.keys(state.filter).length > 0)
  const allTicked = useFailures((state) => state.dead.length > 0 && state.selected.length === state.dead.length)
  const toggleAll = useFailures((state) => state.toggleAll)
  if (dead.length === 0) {
    return total > 0 && anyFilter ? (
      <p className="empty">No dead job matches this filter.</p>
    ) : (
      <div className="empty">
        <p className="empty-title">No dead jobs</p>
        <p>A job lands here when it fails for good: out of attempts, or with an error a retry cannot fix (a wrong key, output that does not validate).</p>
      </div>
    )
  }
  return (
    <>
      <TableScroll label="Dead jobs">
        <table className="data-table dead-table">
          <thead>
            <tr>
              <th scope="col" className="cell-check">
                <input type="checkbox" aria-label="Select every dead job shown" checked={allTicked} onChange={toggleAll} />
              </th>
              <th scope="col">Job</th>
              <th scope="col">Category</th>
              <th scope="col">Provider / model</th>
              <th scope="col">Batch</th>
              <th scope="col">Attempts</th>
              <th scope="col">Died</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {dead.map((job) => (
              <Row key={job.id} job={job} />
            ))}
          </tbody>
        </table>
      </TableScroll>
      {dead.length >= DEAD_PAGE && (
        <footer className="list-footer">The newest {formatCount(DEAD_PAGE)} shown: filter to see others, or act on all matching.</footer>
      )}
    </>
  )
}

export function DeadLetters() {
  const total = useFailures((state) => state.stats.total)
  const shown = useFailures((state) => state.dead.length)
  return (
    <section className="panel" aria-labelledby="dead-title" data-dead-total={total} data-dead-shown={shown}>
      <header className="panel-head">
        <h2 className="panel-title" id="dead-title">
          Dead-letter queue
        </h2>
        <span className="muted">{plural(total, 'dead job')}</span>
        <Actions />
      </header>
      {total > 0 && (
        <div className="panel-body">
          <CategoryStats />
        </div>
      )}
      {total > 0 && <Filters />}
      <Table />
    </section>
  )
}
