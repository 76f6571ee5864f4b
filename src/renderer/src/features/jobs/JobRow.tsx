import { memo } from 'react'
import type { JobSummary } from '../../../../shared/jobs'
import { formatCreated, formatElapsed, formatMoment, providerLabel } from './format'
import { StateBadge } from './StateBadge'
import { useJobList } from './use-jobs'

function ActiveProgress({ id }: { id: number }) {
  const progress = useJobList((state) => state.progress[id])
  const fraction = progress?.fraction ?? null
  const percent = fraction === null ? undefined : Math.round(fraction * 100)
  return (
    <div className="progress-cell">
      <div
        className={fraction === null ? 'progress progress-unknown' : 'progress'}
        role="progressbar"
        aria-label={`Job ${id} progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        {percent !== undefined && <div className="progress-fill" style={{ width: `${percent}%` }} />}
      </div>
      <span className="progress-text">{progress ? `${progress.outputTokens} tok · ${formatElapsed(progress.elapsedMs)}` : 'starting'}</span>
    </div>
  )
}

function Outcome({ job }: { job: JobSummary }) {
  if (job.state === 'active') return <ActiveProgress id={job.id} />
  // A held job is not failing: it waits for its breaker, its provider's limits or a pause to lift.
  if (job.held) {
    return (
      <span className="held-text" data-held="true" title={job.held}>
        {job.held}
      </span>
    )
  }
  if (job.lastError && (job.state === 'dead' || job.state === 'queued')) {
    return (
      <span className="error-text" title={job.lastError}>
        {job.lastError}
      </span>
    )
  }
  return null
}

interface RowProps {
  job: JobSummary
  /** Its place in the whole list (the page holds only some rows). */
  index: number
  selected: boolean
  open: boolean
  /** The list's one Tab stop: the current row. */
  tabStop: boolean
  /** Where the virtual list puts the row. */
  top: number
  onToggle(id: number, range: boolean): void
  onOpen(id: number): void
  onFocus(id: number): void
}

export const JobRow = memo(function JobRow({ job, index, selected, open, tabStop, top, onToggle, onOpen, onFocus }: RowProps) {
  return (
    <div
      role="row"
      className={`job-row${selected ? ' job-row-selected' : ''}${open ? ' job-row-open' : ''}`}
      aria-selected={selected}
      aria-rowindex={index + 2}
      tabIndex={tabStop ? 0 : -1}
      data-job-id={job.id}
      data-state={job.state}
      style={{ transform: `translateY(${top}px)` }}
      onClick={() => onOpen(job.id)}
      onFocus={() => onFocus(job.id)}
    >
      <span role="gridcell" className="cell-select">
        {/* The row is the grid's Tab stop (Space ticks it): its controls stay out of the Tab order. */}
        <input
          type="checkbox"
          tabIndex={-1}
          aria-label={`Select job ${job.id}`}
          data-select={job.id}
          checked={selected}
          onChange={() => {}}
          onClick={(event) => {
            event.stopPropagation()
            onToggle(job.id, event.shiftKey)
          }}
        />
      </span>
      <span role="gridcell" className="cell-id">
        <a
          href={`#/jobs/${job.id}`}
          tabIndex={-1}
          onClick={(event) => {
            event.preventDefault()
            event.stopPropagation()
            onOpen(job.id)
          }}
        >
          {job.id}
        </a>
      </span>
      <span role="gridcell">
        <StateBadge state={job.state} />
      </span>
      <span role="gridcell" className="cell-provider">
        <span className="provider">{providerLabel(job.provider)}</span>
        <span className="model">{job.model ?? job.profileModel ?? 'provider default'}</span>
      </span>
      <span role="gridcell" className="cell-prompt" title={job.promptPreview}>
        {job.promptPreview}
      </span>
      <span role="gridcell" className="cell-attempts">
        {job.attemptsMade}
        <span className="muted"> / {job.maxAttempts}</span>
      </span>
      <span role="gridcell" className="cell-progress">
        <Outcome job={job} />
      </span>
      <span role="gridcell" className="cell-created" title={formatMoment(job.createdAt)}>
        {formatCreated(job.createdAt)}
      </span>
    </div>
  )
})
