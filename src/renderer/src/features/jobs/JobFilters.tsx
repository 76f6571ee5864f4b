/**
 * The filters beside the state tabs: a search in prompts (`/` focuses it), provider, model,
 * batch, tag, and the sort. Choices come from the engine when the screen opens and again
 * when a list is opened, as batches and tags come and go.
 */
import { useEffect, useState, type ReactNode } from 'react'
import { JOB_SORTS, type JobSort } from '../../../../shared/job-list'
import { hasFilters } from '../../stores/job-rows'
import { formatCount, providerLabel } from './format'
import { useJobList } from './use-jobs'

const SORT_LABELS: Record<JobSort, string> = { newest: 'Newest first', oldest: 'Oldest first', priority: 'Priority, high first' }

function SearchBox() {
  const text = useJobList((state) => state.searchText)
  const setText = useJobList((state) => state.setSearchText)
  return (
    <label className="filter filter-search">
      <span className="visually-hidden">Search prompts</span>
      <input
        type="search"
        className="input"
        data-search
        placeholder="Search prompts   /"
        value={text}
        maxLength={200}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && text) {
            event.stopPropagation()
            setText('')
          }
        }}
      />
    </label>
  )
}

interface ChoiceProps {
  name: string
  label: string
  value: string
  children: ReactNode
  onChange(value: string): void
  /** Read the choices again when the operator opens it. */
  onFocus?: () => void
}

function Choice({ name, label, value, children, onChange, onFocus }: ChoiceProps) {
  return (
    <label className="filter">
      <span className="visually-hidden">{label}</span>
      <select className="input" data-filter={name} value={value} onFocus={onFocus} onChange={(event) => onChange(event.target.value)}>
        {children}
      </select>
    </label>
  )
}

/** A tag is typed (or picked from the tags of recent jobs) and applied on Enter, on leaving the field, or on picking one. */
function TagFilter() {
  const tag = useJobList((state) => state.query.tag)
  const tags = useJobList((state) => state.options?.tags)
  const setFilter = useJobList((state) => state.setFilter)
  // Keyed by the applied tag (see JobFilters): a tag set elsewhere starts a fresh draft.
  const [draft, setDraft] = useState(tag ?? '')
  const apply = (value: string) => setFilter('tag', value.trim() || undefined)
  return (
    <label className="filter filter-tag">
      <span className="visually-hidden">Tag</span>
      <input
        className="input"
        data-filter="tag"
        list="job-tags"
        placeholder="Tag"
        value={draft}
        maxLength={100}
        onChange={(event) => {
          setDraft(event.target.value)
          if (tags?.includes(event.target.value)) apply(event.target.value)
        }}
        onBlur={() => apply(draft)}
        onKeyDown={(event) => event.key === 'Enter' && apply(draft)}
      />
      <datalist id="job-tags">
        {tags?.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </label>
  )
}

export function JobFilters() {
  const query = useJobList((state) => state.query)
  const options = useJobList((state) => state.options)
  const setFilter = useJobList((state) => state.setFilter)
  const setSort = useJobList((state) => state.setSort)
  const clearFilters = useJobList((state) => state.clearFilters)
  const loadOptions = useJobList((state) => state.loadOptions)
  useEffect(() => {
    loadOptions()
  }, [loadOptions])

  const providers = options?.providers ?? []
  // A filter set from a link or before the choices came is still offered.
  const providerNames = [...new Set([...providers.map((p) => p.provider), ...(query.provider ? [query.provider] : [])])]
  const models = [
    ...new Set([...providers.filter((p) => !query.provider || p.provider === query.provider).flatMap((p) => p.models), ...(query.model ? [query.model] : [])]),
  ].sort()
  const batches = options?.batches ?? []
  return (
    <div className="filters" role="search" aria-label="Filter jobs">
      <SearchBox />
      <Choice
        name="provider"
        label="Provider"
        value={query.provider ?? ''}
        onFocus={loadOptions}
        onChange={(value) => setFilter('provider', value || undefined)}
      >
        <option value="">All providers</option>
        {providerNames.map((name) => (
          <option key={name} value={name}>
            {providerLabel(name)}
          </option>
        ))}
      </Choice>
      <Choice name="model" label="Model" value={query.model ?? ''} onFocus={loadOptions} onChange={(value) => setFilter('model', value || undefined)}>
        <option value="">All models</option>
        {models.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </Choice>
      <Choice
        name="batch"
        label="Batch"
        value={query.batchId === undefined ? '' : String(query.batchId)}
        onFocus={loadOptions}
        onChange={(value) => setFilter('batchId', value ? Number(value) : undefined)}
      >
        <option value="">All batches</option>
        {query.batchId !== undefined && !batches.some((b) => b.id === query.batchId) && <option value={query.batchId}>Batch {query.batchId}</option>}
        {batches.map((batch) => (
          <option key={batch.id} value={batch.id}>
            {`#${batch.id} ${batch.name} (${formatCount(batch.jobCount)})`}
          </option>
        ))}
      </Choice>
      <TagFilter key={query.tag ?? ''} />
      <Choice name="sort" label="Sort" value={query.sort} onChange={(value) => setSort(value as JobSort)}>
        {JOB_SORTS.map((sort) => (
          <option key={sort} value={sort}>
            {SORT_LABELS[sort]}
          </option>
        ))}
      </Choice>
      {(hasFilters(query) || query.state) && (
        <button type="button" className="button button-quiet" data-clear-filters onClick={clearFilters}>
          Clear filters
        </button>
      )}
    </div>
  )
}
