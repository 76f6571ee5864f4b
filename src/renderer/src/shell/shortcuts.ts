/**
 * Keyboard shortcuts, for the whole window: `/` searches, `p` pauses or resumes the queue,
 * `1`–`6` switch screens, `Escape` closes a job's detail. None fires while the operator is
 * typing in a field.
 */
import { useEffect } from 'react'
import { SCREENS, useRoute } from './route'

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: '/', what: 'search jobs' },
  { keys: 'p', what: 'pause or resume the queue' },
  { keys: '1–6', what: 'dashboard, jobs, failures, alerts, costs, settings' },
  { keys: 'Esc', what: "close a job's detail" },
]

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
}

export function useShortcuts(togglePaused: () => void): void {
  const go = useRoute((state) => state.go)
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.metaKey || event.ctrlKey || event.altKey) return
      if (event.key === 'Escape') return go({ jobId: null })
      if (typing(event.target)) return
      if (event.key === '/') {
        event.preventDefault()
        go({ screen: 'jobs' })
        // The search box appears with the jobs screen: focus it on the next frame.
        requestAnimationFrame(() => document.querySelector<HTMLInputElement>('[data-search]')?.focus())
      } else if (event.key === 'p') togglePaused()
      else if (/^[1-9]$/.test(event.key) && Number(event.key) <= SCREENS.length) go({ screen: SCREENS[Number(event.key) - 1]! })
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [go, togglePaused])
}
