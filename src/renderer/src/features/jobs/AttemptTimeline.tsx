/** Every attempt with its outcome, error (severity, and the stack of an UNKNOWN one), model and tokens, and a bar for its timing on one axis shared by all of them. */
import type { JobAttempt } from '../../../../shared/jobs'
import { formatCount } from './format'
import { ErrorSeverityBadge } from './SeverityBadge'
import { formatDuration, layoutAttempts } from './timeline'

const OUTCOME_LABELS: Record<JobAttempt['outcome'], string> = { ok: 'Succeeded', error: 'Failed', stalled: 'Stalled', cancelled: 'Cancelled' }

/** What the provider's prompt cache read and wrote, beside the plain input: " (+ 900 cached)". */
function cacheTokens({ cachedInputTokens, cacheWriteTokens }: JobAttempt): string {
  const parts = [cachedInputTokens && `${formatCount(cachedInputTokens)} cached`, cacheWriteTokens && `${formatCount(cacheWriteTokens)} written to the cache`]
  const shown = parts.filter((part): part is string => typeof part === 'string')
  return shown.length > 0 ? ` (+ ${shown.join(', ')})` : ''
}

const tokens = (attempt: JobAttempt): string | null =>
  attempt.inputTokens === null && attempt.outputTokens === null
    ? null
    : `${formatCount(attempt.inputTokens ?? 0)} in${cacheTokens(attempt)} · ${formatCount(attempt.outputTokens ?? 0)} out tokens`

export function AttemptTimeline({ attempts }: { attempts: readonly JobAttempt[] }) {
  if (attempts.length === 0) return <p className="muted">No attempt has ended yet.</p>
  const { rows, spanMs } = layoutAttempts(attempts)
  return (
    <ol className="attempts" data-attempts={attempts.length}>
      {rows.map(({ attempt, left, width, durationMs }) => (
        <li key={`${attempt.number}-${attempt.startedAt}`} className="attempt" data-attempt={attempt.number} data-outcome={attempt.outcome}>
          <div className="attempt-head">
            <strong>Attempt {attempt.number}</strong>
            <span className={`outcome outcome-${attempt.outcome}`}>{OUTCOME_LABELS[attempt.outcome]}</span>
            {attempt.errorCategory && <span className="category">{attempt.errorCategory}</span>}
            {attempt.severity && <ErrorSeverityBadge severity={attempt.severity} />}
            {attempt.model && (
              <span className="muted attempt-model" data-attempt-model={attempt.model} title="the model this attempt ran">
                {attempt.model}
              </span>
            )}
            {attempt.ranOn && (
              <span
                className="ran-on"
                data-ran-on={attempt.ranOn}
                title="its own profile was held (paused, or its breaker open): this attempt ran on a fallback"
              >
                on fallback {attempt.ranOn}
              </span>
            )}
            <span className="muted">{formatDuration(durationMs)}</span>
            {tokens(attempt) && <span className="muted">{tokens(attempt)}</span>}
          </div>
          <div className="time-axis" title={`${new Date(attempt.startedAt).toLocaleTimeString()} – ${new Date(attempt.endedAt).toLocaleTimeString()}`}>
            <div className={`time-bar outcome-bar-${attempt.outcome}`} style={{ left: `${left * 100}%`, width: `${width * 100}%` }} />
          </div>
          {attempt.error && <p className="error-text attempt-error">{attempt.error}</p>}
          {attempt.stack && (
            <details className="attempt-stack" data-stack>
              <summary>Where it was thrown (an error no category fits)</summary>
              <pre className="output">{attempt.stack}</pre>
            </details>
          )}
        </li>
      ))}
      {rows.length > 1 && <li className="muted axis-note">Bars share one time axis: {formatDuration(spanMs)} from the first start to the last end.</li>}
    </ol>
  )
}
