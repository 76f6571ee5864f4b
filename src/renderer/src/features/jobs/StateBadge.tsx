import type { JobState } from '../../../../shared/jobs'
import { STATE_LABELS } from './format'

export function StateBadge({ state }: { state: JobState }) {
  return <span className={`badge badge-${state}`}>{STATE_LABELS[state]}</span>
}
