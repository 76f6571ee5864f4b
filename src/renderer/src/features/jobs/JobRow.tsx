import { memo } from 'react'
import type { JobSummary } from '../../../../shared/jobs'
import { useQueue } from '../../stores/use-queue'
import { formatCreated, formatElapsed, providerLabel } from './format'
import { StateBadge } from './StateBadge'

function ActiveProgress({ id }: { id: number }) {
  const progress = useQueue((state) => state.progress[id])
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
  if (job.lastError && (job.state === 'dead' || job.state === 'queued')) {
    return (
      <span className="error-text" title={job.lastError}>
        {job.lastError}
      </span>
    )
  }
  return null
}

export const JobRow = memo(function JobRow({ job }: { job: JobSummary }) {
  return (
    <tr data-job-id={job.id} data-state={job.state}>
      <td className="cell-id">{job.id}</td>
      <td>
        <StateBadge state={job.state} />
      </td>
      <td className="cell-provider">
        <span className="provider">{providerLabel(job.provider)}</span>
        <span className="model">{job.model ?? 'default model'}</span>
      </td>
      <td className="cell-prompt" title={job.promptPreview}>
        {job.promptPreview}
      </td>
      <td className="cell-attempts">
        {job.attemptsMade}
        <span className="muted"> / {job.maxAttempts}</span>
      </td>
      <td className="cell-progress">
        <Outcome job={job} />
      </td>
      <td className="cell-created" title={new Date(job.createdAt).toLocaleString()}>
        {formatCreated(job.createdAt)}
      </td>
    </tr>
  )
})
