/**
 * The list of jobs, virtualised: only the rows in view (and a margin) are in the page, so
 * it scrolls the same with fifty jobs or a hundred thousand. Pages come in as the operator
 * nears the end of what is loaded. From the keyboard it is a grid with one Tab stop
 * (use-grid-keys.ts).
 */
import { useVirtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useRef } from 'react'
import { queryKey } from '../../../../shared/job-list'
import { useRoute } from '../../shell/route'
import { hasFilters, shownTotal } from '../../stores/job-rows'
import { useQueue } from '../../stores/use-queue'
import { formatCount, STATE_LABELS } from './format'
import { JobRow } from './JobRow'
import { useTrySimulator } from './sample-jobs'
import { SelectionBar } from './SelectionBar'
import { useGridKeys } from './use-grid-keys'
import { useJobList } from './use-jobs'

export const ROW_HEIGHT = 44
/** Rows kept in the page beyond those in view, each side. */
const OVERSCAN = 20
/** Ask for the next page this many rows before the end of what is loaded. */
const PAGE_AHEAD = 100

function Searching() {
  return (
    <div className="searching" role="status">
      <div className="progress progress-unknown" role="progressbar" aria-label="Looking through older jobs" />
      <span>Looking through older jobs…</span>
    </div>
  )
}

function EmptyList() {
  const query = useJobList((state) => state.query)
  const listState = useJobList((state) => state.listState)
  const searching = useJobList((state) => state.next !== null)
  const clearFilters = useJobList((state) => state.clearFilters)
  const sample = useTrySimulator()
  if (listState === 'loading') return <div className="empty">{searching ? <Searching /> : <p>Loading jobs…</p>}</div>
  if (hasFilters(query)) {
    return (
      <div className="empty" data-empty="no-match">
        <p className="empty-title">No jobs match these filters</p>
        <button type="button" className="button" onClick={clearFilters}>
          Clear them
        </button>
      </div>
    )
  }
  if (query.state) {
    return (
      <div className="empty" data-empty="no-match">
        <p className="empty-title">No {STATE_LABELS[query.state].toLowerCase()} jobs right now</p>
        <button type="button" className="button" onClick={clearFilters}>
          Show all jobs
        </button>
      </div>
    )
  }
  return (
    <div className="empty" data-empty="no-jobs">
      <p className="empty-title">No jobs yet</p>
      <p>
        Drop prompt files anywhere on this window, or enqueue from the CLI: <code>genops enqueue prompts.jsonl</code>
      </p>
      <p>Jobs appear here as soon as they are enqueued, and update live as they run.</p>
      <button type="button" className="button" disabled={sample.state === 'working'} onClick={sample.run}>
        Try the simulator with 12 sample jobs
      </button>
      {sample.message && <p className="error-text">{sample.message}</p>}
    </div>
  )
}

function ListFooter() {
  const loaded = useJobList((state) => state.rows.length)
  const more = useJobList((state) => state.next !== null)
  const paging = useJobList((state) => state.paging)
  const counts = useQueue((state) => state.counts)
  const query = useJobList((state) => state.query)
  const engineTotal = useJobList((state) => state.total)
  const next = useJobList((state) => state.next)
  const rows = useJobList((state) => state.rows)
  const total = shownTotal({ query, total: engineTotal, next, rows }, counts)
  if (loaded === 0) return null
  const of = total && total.count > loaded ? ` of ${formatCount(total.count)}${total.capped ? '+' : ''}` : ''
  return (
    <footer className="list-footer" data-total={total?.count}>
      {more ? `Showing ${formatCount(loaded)}${of} jobs` : `${formatCount(loaded)} ${loaded === 1 ? 'job' : 'jobs'}`}
      {more && (paging ? ' · loading more…' : ' · scroll for more')}
    </footer>
  )
}

function SelectAll() {
  const rows = useJobList((state) => state.rows.length)
  const selected = useJobList((state) => state.selected.size)
  const toggleAll = useJobList((state) => state.toggleAll)
  const ref = useRef<HTMLInputElement>(null)
  const all = rows > 0 && selected >= rows
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = selected > 0 && !all
  }, [selected, all])
  return <input ref={ref} type="checkbox" aria-label="Select every job in the list" data-select-all checked={all} disabled={rows === 0} onChange={toggleAll} />
}

function Header() {
  return (
    <div role="row" className="job-row job-header" aria-rowindex={1}>
      <span role="columnheader" className="cell-select">
        <SelectAll />
      </span>
      <span role="columnheader">ID</span>
      <span role="columnheader">State</span>
      <span role="columnheader">Provider / model</span>
      <span role="columnheader">Prompt</span>
      <span role="columnheader">Attempts</span>
      <span role="columnheader">Progress</span>
      <span role="columnheader">Created</span>
    </div>
  )
}

function Rows() {
  const rows = useJobList((state) => state.rows)
  const selected = useJobList((state) => state.selected)
  const next = useJobList((state) => state.next)
  const query = useJobList((state) => state.query)
  const loadMore = useJobList((state) => state.loadMore)
  const toggle = useJobList((state) => state.toggle)
  const toggleAll = useJobList((state) => state.toggleAll)
  const anchor = useJobList((state) => state.anchor)
  const openId = useRoute((state) => state.jobId)
  const go = useRoute((state) => state.go)
  const scrollRef = useRef<HTMLDivElement>(null)
  const open = useCallback((id: number) => go({ jobId: id }), [go])
  const keys = useGridKeys({ rows, selected, anchor, scrollRef, rowHeight: ROW_HEIGHT, openId, toggle, toggleAll, open })
  // The virtualiser keeps its state outside React and re-renders this component itself; no compiler memoises it here.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    getItemKey: (index) => rows[index]?.id ?? index,
    rangeExtractor: keys.rangeExtractor,
  })
  useEffect(() => keys.bind(virtualizer))
  const items = virtualizer.getVirtualItems()
  // The current row is kept in the page even far from the view: paging follows the view and its margin, not it.
  const inView = virtualizer.range
  const lastShown = inView ? Math.min(rows.length - 1, inView.endIndex + OVERSCAN) : -1
  const firstShown = inView?.startIndex ?? 0
  useEffect(() => {
    if (next !== null && lastShown >= rows.length - PAGE_AHEAD) loadMore()
  }, [next, lastShown, rows.length, loadMore])
  // Another query is another list: start it from the top.
  useEffect(() => {
    // A block, not an arrow's value: newer browsers answer scrollTo with a promise, which React would take for a cleanup.
    scrollRef.current?.scrollTo({ top: 0 })
  }, [query])
  return (
    <div className="list-scroll" ref={scrollRef} role="rowgroup" onKeyDown={keys.onKeyDown}>
      <div className="list-rows" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {items.map((item) => {
          const job = rows[item.index]!
          return (
            <JobRow
              key={job.id}
              job={job}
              index={item.index}
              top={item.start}
              tabStop={keys.tabStop(item.index, firstShown)}
              selected={selected.has(job.id)}
              open={openId === job.id}
              onToggle={toggle}
              onOpen={open}
              onFocus={keys.onRowFocus}
            />
          )
        })}
      </div>
    </div>
  )
}

export function JobList() {
  const listState = useJobList((state) => state.listState)
  const loaded = useJobList((state) => state.rows.length)
  const more = useJobList((state) => state.next !== null)
  const query = useJobList((state) => state.query)
  return (
    <section className="list" aria-label="Jobs" data-list-state={listState} data-query={queryKey(query)} data-loaded={loaded} data-more={String(more)}>
      <SelectionBar />
      <div className="list-grid" role="grid" aria-label="Jobs" aria-multiselectable="true" aria-rowcount={loaded + 1}>
        <Header />
        {loaded === 0 ? <EmptyList /> : <Rows />}
      </div>
      {loaded > 0 && listState === 'loading' && <Searching />}
      <ListFooter />
    </section>
  )
}
