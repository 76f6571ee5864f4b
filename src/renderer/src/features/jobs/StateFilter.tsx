import { JOB_STATES, type JobState } from '../../../../shared/jobs'
import { totalOf } from '../../stores/queue'
import { useQueue } from '../../stores/use-queue'
import { formatCount, STATE_LABELS } from './format'
import { useJobList } from './use-jobs'

interface TabProps {
  state: JobState | null
  count: number
  selected: boolean
  onSelect(state: JobState | null): void
}

function StateTab({ state, count, selected, onSelect }: TabProps) {
  return (
    <button type="button" className="state-tab" aria-pressed={selected} data-count-state={state ?? 'all'} data-count={count} onClick={() => onSelect(state)}>
      <span className="state-tab-label">
        {state && <span className={`dot dot-${state}`} aria-hidden="true" />}
        {state ? STATE_LABELS[state] : 'All jobs'}
      </span>
      <span className="state-tab-count">{formatCount(count)}</span>
    </button>
  )
}

/** Counts by state, which are also the state filter: pick a state to list only its jobs. */
export function StateFilter() {
  const counts = useQueue((state) => state.counts)
  const filter = useJobList((state) => state.query.state ?? null)
  const setFilter = useJobList((state) => state.setFilter)
  const select = (state: JobState | null) => setFilter('state', state ?? undefined)
  return (
    <nav className="states" aria-label="Filter jobs by state">
      <StateTab state={null} count={totalOf(counts)} selected={filter === null} onSelect={select} />
      {JOB_STATES.map((state) => (
        <StateTab key={state} state={state} count={counts[state]} selected={filter === state} onSelect={select} />
      ))}
    </nav>
  )
}
