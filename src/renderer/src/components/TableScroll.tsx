/**
 * A data table in a box of its own: in a narrow (or zoomed) window a table wider than its
 * panel scrolls sideways there, so the screen never does and no column is cut off. While it
 * overflows, the box is a labelled region in the Tab order, so the keyboard can scroll it too;
 * while it fits, it is no stop at all.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react'

export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null)
  const [overflows, setOverflows] = useState(false)
  useEffect(() => {
    const box = ref.current
    if (!box) return
    const measure = () => setOverflows(box.scrollWidth > box.clientWidth + 1)
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(box)
    if (box.firstElementChild) observer.observe(box.firstElementChild)
    return () => observer.disconnect()
  }, [])
  return (
    <div ref={ref} className="table-scroll" data-overflows={overflows} {...(overflows ? { tabIndex: 0, role: 'region', 'aria-label': label } : {})}>
      {children}
    </div>
  )
}
