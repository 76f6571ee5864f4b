/**
 * The job open in detail, beside the list: what was asked (prompt and parameters), what
 * came back (output, artifact), how it went (attempts, trace, events), and what can be
 * done now (retry, cancel, delete). `data-detail-state` announces it.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react'
import type { JobDetail } from '../../../../shared/jobs'
import { useRoute } from '../../shell/route'
import { actionsFor, type DetailAction } from '../../stores/job-detail'
import { AttemptTimeline } from './AttemptTimeline'
import { formatCreated, formatElapsed, formatMoment, modelOf, providerBatchLabel, providerLabel, STATE_LABELS } from './format'
import { OutputView } from './OutputView'
import { StateBadge } from './StateBadge'
import { TraceWaterfall } from './TraceWaterfall'
import { useJobDetail } from './use-jobs'
import './job-detail.css'

const ACTION_LABELS: Record<DetailAction, { idle: string; working: string }> = {
  retry: { idle: 'Retry', working: 'Retrying…' },
  cancel: { idle: 'Cancel job', working: 'Cancelling…' },
  delete: { idle: 'Delete', working: 'Deleting…' },
}

/** A moment, short (today's by time of day), with the full date and time on hover. */
const when = (at: number | null): ReactNode => (at === null ? '—' : <time title={formatMoment(at)}>{formatCreated(at)}</time>)

function Section({ title, children, name }: { title: string; children: ReactNode; name: string }) {
  return (
    <section className="detail-section" data-section={name}>
      <h3>{title}</h3>
      {children}
    </section>
  )
}

function Actions({ job }: { job: JobDetail }) {
  const action = useJobDetail((state) => state.action)
  const act = useJobDetail((state) => state.act)
  // Delete asks twice: it cannot be undone.
  const [confirmDelete, setConfirmDelete] = useState(false)
  const working = action?.state === 'working'
  return (
    <div className="detail-actions" data-action-state={action?.state ?? 'idle'}>
      {actionsFor(job).map((name) => {
        const confirming = name === 'delete' && confirmDelete
        return (
          <button
            key={name}
            type="button"
            className={confirming ? 'button button-danger button-primary' : 'button'}
            data-action={name}
            disabled={working}
            onClick={() => {
              if (name === 'delete' && !confirmDelete) return setConfirmDelete(true)
              setConfirmDelete(false)
              void act(name)
            }}
          >
            {action?.name === name && working ? ACTION_LABELS[name].working : confirming ? 'Delete for good' : ACTION_LABELS[name].idle}
          </button>
        )
      })}
      {action?.state === 'failed' && (
        <p className="error-text" role="alert">
          {action.message}
        </p>
      )}
    </div>
  )
}

function LiveProgress() {
  const progress = useJobDetail((state) => state.progress)
  const fraction = progress?.fraction ?? null
  const percent = fraction === null ? undefined : Math.round(fraction * 100)
  return (
    <div className="progress-cell detail-progress">
      <div
        className={percent === undefined ? 'progress progress-unknown' : 'progress'}
        role="progressbar"
        aria-label="Progress of the running attempt"
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

function Facts({ job }: { job: JobDetail }) {
  const facts: [string, ReactNode][] = [
    ['Provider', providerLabel(job.provider)],
    ['Model', modelOf(job)],
    ['Priority', job.priority],
    ['Batch', job.batchId ?? '—'],
    ['Attempts', `${job.attemptsMade} of ${job.maxAttempts}${job.stalledCount ? ` (stalled ${job.stalledCount}×)` : ''}`],
    ['Created', when(job.createdAt)],
    [job.state === 'delayed' ? 'Runs at' : 'Due', when(job.runAt)],
    ['Finished', when(job.finishedAt)],
    ['Tags', job.tags.length ? job.tags.join(', ') : '—'],
  ]
  if (job.idempotencyKey) facts.push(['Idempotency key', job.idempotencyKey])
  if (job.providerBatch) facts.push(['Provider batch', providerBatchLabel(job.providerBatch)])
  return (
    <dl className="job-facts">
      {facts.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  )
}

function Trace() {
  const spans = useJobDetail((state) => state.spans)
  const note = useJobDetail((state) => state.traceNote)
  return (
    <Section title="Trace" name="trace">
      {spans && spans.length > 0 && <TraceWaterfall spans={spans} />}
      {note && <p className="muted">{note}</p>}
    </Section>
  )
}

function Log() {
  const lines = useJobDetail((state) => state.logs)
  const note = useJobDetail((state) => state.logNote)
  return (
    <Section title="Log" name="log">
      {lines && lines.length > 0 && (
        <ol className="job-log" data-log-lines={lines.length}>
          {lines.map((line, i) => (
            <li key={i} className={`job-log-line job-log-${line.level}`}>
              <time className="muted">{line.time.replace('T', ' ').slice(0, 23)}</time> <span className="job-log-level">{line.level}</span> {line.message}
            </li>
          ))}
        </ol>
      )}
      {note && <p className="muted">{note}</p>}
    </Section>
  )
}

function Detail({ job }: { job: JobDetail }) {
  return (
    <>
      <Facts job={job} />
      {job.state === 'active' && <LiveProgress />}
      {job.held && (
        <p className="held-text detail-note" data-held="true">
          {job.held}
        </p>
      )}
      {job.lastError && job.state !== 'completed' && <p className="error-text detail-note">Last error: {job.lastError}</p>}
      <Section title="Prompt" name="prompt">
        <pre className="output output-text">{job.prompt}</pre>
      </Section>
      <Section title="Parameters" name="config">
        {Object.keys(job.config).length ? (
          <pre className="output">{JSON.stringify(job.config, null, 2)}</pre>
        ) : (
          <p className="muted">None: the provider’s defaults.</p>
        )}
      </Section>
      <Section title="Output" name="output">
        <OutputView output={job.output} />
        {job.artifact && (
          <p className="artifact">
            Written to <code data-artifact>{job.artifact}</code>
          </p>
        )}
      </Section>
      <Section title="Attempts" name="attempts">
        <AttemptTimeline attempts={job.attempts} />
      </Section>
      <Trace />
      <Log />
      <Section title="Events" name="events">
        <ol className="events">
          <li>
            <time>{new Date(job.createdAt).toLocaleTimeString()}</time> enqueued
          </li>
          {job.events.map((event, i) => (
            <li key={i} data-event-to={event.to}>
              <time title={formatMoment(event.at)}>{new Date(event.at).toLocaleTimeString()}</time> {event.from ? `${STATE_LABELS[event.from]} → ` : ''}
              {STATE_LABELS[event.to]}
              {event.detail && <span className="muted"> · {event.detail}</span>}
            </li>
          ))}
        </ol>
      </Section>
    </>
  )
}

export function JobDetailPanel() {
  const id = useJobDetail((state) => state.id)
  const status = useJobDetail((state) => state.status)
  const job = useJobDetail((state) => state.job)
  const error = useJobDetail((state) => state.error)
  const go = useRoute((state) => state.go)
  const heading = useRef<HTMLHeadingElement>(null)
  // Opened from the list (a click, Enter on a row): the focus follows to the detail, which may have taken the list's place.
  useEffect(() => {
    if (document.activeElement?.closest('.list')) heading.current?.focus()
  }, [id])
  return (
    <aside className="detail" aria-label={`Job ${id ?? ''}`} data-detail-state={status} data-detail-job={id ?? undefined} data-job-state={job?.state}>
      <header className="detail-header">
        <h2 ref={heading} tabIndex={-1}>
          Job {id}
        </h2>
        {job && <StateBadge state={job.state} />}
        <button type="button" className="button button-quiet detail-close" aria-label="Close the job’s detail (Esc)" onClick={() => go({ jobId: null })}>
          ✕
        </button>
      </header>
      {job && <Actions job={job} />}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {/* It scrolls: a stop of its own, so the keyboard can scroll it where it holds no control. */}
      <div className="detail-body" tabIndex={0} role="region" aria-label={`Details of job ${id ?? ''}`}>
        {status === 'loading' && <p className="muted">Loading job {id}…</p>}
        {status === 'missing' && <p className="muted">Job {id} does not exist: it was deleted, or removed by retention.</p>}
        {job && <Detail job={job} />}
      </div>
    </aside>
  )
}
