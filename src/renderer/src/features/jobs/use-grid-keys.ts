/**
 * The job list from the keyboard, as a grid with one Tab stop: the current row. ↑ ↓, Page
 * Up/Down, Home and End move it; Space ticks it (Shift+Space, or Shift with an arrow, ticks
 * the range from the last one ticked); Ctrl/Cmd+A ticks every loaded job; Enter opens its
 * detail. The list is virtualised, so the current row is kept in the page even while
 * scrolled out of view (the range extractor adds it): the focus survives scrolling, and
 * when the detail closes it comes back to that row.
 */
import { defaultRangeExtractor, type Range, type Virtualizer } from '@tanstack/react-virtual'
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from 'react'
import type { JobSummary } from '../../../../shared/jobs'
import { focusScreen } from '../../components/use-dialog-focus'

interface GridKeysOptions {
  rows: readonly JobSummary[]
  selected: ReadonlySet<number>
  /** The last job ticked: where a Shift range starts. */
  anchor: number | null
  scrollRef: RefObject<HTMLDivElement | null>
  rowHeight: number
  /** The job open in detail, or null. */
  openId: number | null
  toggle(id: number, range: boolean): void
  toggleAll(): void
  open(id: number): void
}

export interface GridKeys {
  /** The row that is the list's Tab stop: the current one, else the first in view. */
  tabStop(index: number, firstShown: number): boolean
  /** Keeps the current row rendered wherever the list is scrolled. */
  rangeExtractor(range: Range): number[]
  /** Wire to the virtualiser once it exists, from an effect (it scrolls rows into view). */
  bind(virtualizer: Virtualizer<HTMLDivElement, Element>): void
  onKeyDown(event: KeyboardEvent<HTMLElement>): void
  /** A row took the focus (a click, or Tab): it is the current row now. */
  onRowFocus(id: number): void
}

const rowOf = (scroll: HTMLElement | null, id: number) => scroll?.querySelector<HTMLElement>(`[data-job-id="${id}"]`) ?? null

export function useGridKeys({ rows, selected, anchor, scrollRef, rowHeight, openId, toggle, toggleAll, open }: GridKeysOptions): GridKeys {
  const [current, setCurrent] = useState<number | null>(null)
  const index = useMemo(() => (current === null ? -1 : rows.findIndex((row) => row.id === current)), [rows, current])
  const virtualizer = useRef<Virtualizer<HTMLDivElement, Element> | null>(null)
  // Set by a key that moved the current row: once it is rendered, it takes the focus.
  const focusPending = useRef(false)

  useEffect(() => {
    if (!focusPending.current || current === null) return
    focusPending.current = false
    rowOf(scrollRef.current, current)?.focus({ preventScroll: true })
  })

  // The detail closed with the focus in it (Escape, its ✕): the focus goes back to the row it was opened from.
  const wasOpen = useRef(openId)
  useEffect(() => {
    const closed = wasOpen.current !== null && openId === null
    wasOpen.current = openId
    if (!closed) return
    const active = document.activeElement
    if (active !== null && active !== document.body) return
    // That row may have left the list (a retried job leaves the dead ones): then the list's Tab stop, else the screen.
    const row = (current === null ? null : rowOf(scrollRef.current, current)) ?? scrollRef.current?.querySelector<HTMLElement>('[role="row"][tabindex="0"]')
    if (row) row.focus({ preventScroll: true })
    else focusScreen()
  }, [openId, current, scrollRef])

  const moveTo = useCallback(
    (from: number, to: number, extend: boolean) => {
      const target = rows[Math.max(0, Math.min(rows.length - 1, to))]
      if (!target) return
      focusPending.current = true
      setCurrent(target.id)
      if (extend) {
        // Shift+arrow from a row not yet ticked starts the range there, as a shift-click after a click does.
        const start = rows[from]
        if (start && anchor !== start.id && !selected.has(start.id)) toggle(start.id, false)
        toggle(target.id, true)
      }
      virtualizer.current?.scrollToIndex(rows.indexOf(target), { align: 'auto' })
    },
    [rows, selected, anchor, toggle],
  )

  const onKeyDown = useCallback(
    (event: KeyboardEvent<HTMLElement>) => {
      // Keys typed in a row's own controls (its checkbox, its link) are theirs.
      if (!(event.target instanceof HTMLElement) || event.target.getAttribute('role') !== 'row') return
      const at = index >= 0 ? index : rows.findIndex((row) => String(row.id) === (event.target as HTMLElement).dataset.jobId)
      const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? rowHeight) / rowHeight) - 1)
      const job = rows[at]
      const command = (event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'a' ? 'all' : event.key
      const moves: Record<string, number> = { ArrowDown: at + 1, ArrowUp: at - 1, PageDown: at + page, PageUp: at - page, Home: 0, End: rows.length - 1 }
      if (command in moves) moveTo(at, moves[command]!, event.shiftKey && (command === 'ArrowDown' || command === 'ArrowUp'))
      else if (command === ' ' && job) toggle(job.id, event.shiftKey)
      else if (command === 'Enter' && job) open(job.id)
      else if (command === 'all') toggleAll()
      else return
      event.preventDefault()
    },
    [index, rows, rowHeight, scrollRef, moveTo, toggle, toggleAll, open],
  )

  return {
    tabStop: (rowIndex, firstShown) => rowIndex === (index >= 0 ? index : firstShown),
    rangeExtractor: (range) => {
      const indexes = defaultRangeExtractor(range)
      if (index < 0 || index >= range.count || indexes.includes(index)) return indexes
      return [...indexes, index].sort((a, b) => a - b)
    },
    bind: (made) => {
      virtualizer.current = made
    },
    onKeyDown,
    onRowFocus: setCurrent,
  }
}
