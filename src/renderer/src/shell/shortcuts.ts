/**
 * Keyboard shortcuts, for the whole window: `/` searches, `o` opens prompt files (the file
 * picker: the keyboard's way to a drop), `p` pauses or resumes the queue, `1`–`6` switch
 * screens, `Escape` closes a job's detail. None fires while the operator is typing in a
 * field, nor while a dialog is open (it has the keyboard).
 */
import { useEffect } from 'react'
import { openFilePicker } from '../features/intake/use-intake'
import { SCREEN_TITLES, SCREENS, useRoute } from './route'

export const SHORTCUTS: { keys: string; what: string }[] = [
  { keys: '/', what: 'search jobs' },
  { keys: 'o', what: 'open prompt files (as a drop)' },
  { keys: 'p', what: 'pause or resume the queue' },
  { keys: `1–${SCREENS.length}`, what: SCREENS.map((screen) => SCREEN_TITLES[screen].toLowerCase()).join(', ') },
  { keys: 'Esc', what: "close a job's detail, or a dialog" },
  { keys: '↑ ↓ Space Enter', what: 'in the job list: move, select (Shift: a range), open' },
]

function inDialog(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('[role="dialog"], [role="alertdialog"]') !== null
}

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
}

export function useShortcuts(togglePaused: () => void): void {
  const go = useRoute((state) => state.go)
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.metaKey || event.ctrlKey || event.altKey || event.defaultPrevented) return
      if (inDialog(event.target)) return
      if (event.key === 'Escape') return go({ jobId: null })
      if (typing(event.target)) return
      if (event.key === '/') {
        event.preventDefault()
        go({ screen: 'jobs' })
        // The search box appears with the jobs screen: focus it on the next frame.
        requestAnimationFrame(() => document.querySelector<HTMLInputElement>('[data-search]')?.focus())
      } else if (event.key === 'o') openFilePicker()
      else if (event.key === 'p') togglePaused()
      else if (/^[1-9]$/.test(event.key) && Number(event.key) <= SCREENS.length) go({ screen: SCREENS[Number(event.key) - 1]! })
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [go, togglePaused])
}
