/** A failed attempt's severity, as its error category declared it (src/shared/errors.ts): the same badge in the job detail and the dead-letter list. */
import type { ErrorSeverity } from '../../../../shared/errors'

const TONES: Record<ErrorSeverity, string> = { critical: 'badge-fail', warning: 'badge-warn', info: 'badge-neutral' }

export function ErrorSeverityBadge({ severity }: { severity: ErrorSeverity }) {
  return (
    <span className={`badge ${TONES[severity]}`} data-severity={severity} title="the severity its error category declares">
      {severity}
    </span>
  )
}
