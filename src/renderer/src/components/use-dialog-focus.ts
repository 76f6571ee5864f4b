/**
 * What a modal dialog owes the keyboard: the focus goes into it when it opens (to the
 * element marked autoFocus, else the first control, else the dialog itself), Tab and
 * Shift+Tab stay inside it while it is open, and when it closes the focus goes back to
 * where it came from (the button that opened it), or, when that is gone, to the screen.
 */
import { useEffect, type RefObject } from 'react'

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  'summary',
  '[tabindex]:not([tabindex="-1"])',
].join(',')

const DIALOG = '[role="dialog"], [role="alertdialog"]'

/** The controls Tab visits inside `root`, in order: those with a box (not hidden, not in a closed details). */
export function focusables(root: ParentNode): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((element) => element.getClientRects().length > 0 && !element.closest('[inert]'))
}

/**
 * The last element outside any dialog that had the focus. React focuses an autoFocus
 * element while it mounts the dialog, before any effect of the dialog runs, so by then
 * document.activeElement already points inside: the opener is what had the focus before.
 */
let lastOutside: HTMLElement | null = null
let tracking = false

function trackFocus(): void {
  if (tracking) return
  tracking = true
  document.addEventListener('focusin', (event) => {
    if (event.target instanceof HTMLElement && !event.target.closest(DIALOG)) lastOutside = event.target
  })
}

function focusLost(dialog: HTMLElement): boolean {
  const active = document.activeElement
  return active === null || active === document.body || !active.isConnected || dialog.contains(active)
}

/** Where the focus goes when the opener is gone: the screen's main element, which says where the operator is. */
export function focusScreen(): void {
  const main = document.querySelector<HTMLElement>('.screen main')
  if (!main) return
  if (!main.hasAttribute('tabindex')) main.tabIndex = -1
  main.focus({ preventScroll: true })
}

export function useDialogFocus(ref: RefObject<HTMLElement | null>): void {
  useEffect(() => {
    trackFocus()
    const dialog = ref.current
    if (!dialog) return
    const active = document.activeElement
    const opener = active instanceof HTMLElement && !dialog.contains(active) && active !== document.body ? active : lastOutside
    if (!dialog.contains(document.activeElement)) {
      const first = dialog.querySelector<HTMLElement>('[autofocus]') ?? focusables(dialog)[0]
      if (first) first.focus()
      else {
        dialog.tabIndex = -1
        dialog.focus()
      }
    }

    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Tab') return
      const inside = focusables(dialog)
      if (inside.length === 0) return event.preventDefault()
      const first = inside[0]!
      const last = inside.at(-1)!
      const at = document.activeElement
      if (event.shiftKey && (at === first || !dialog.contains(at))) {
        event.preventDefault()
        last.focus()
      } else if (!event.shiftKey && (at === last || !dialog.contains(at))) {
        event.preventDefault()
        first.focus()
      }
    }
    dialog.addEventListener('keydown', onKey)
    return () => {
      dialog.removeEventListener('keydown', onKey)
      // Only when the focus went with the dialog: an action that moved it on purpose keeps its place.
      if (!focusLost(dialog)) return
      if (opener?.isConnected && !opener.matches(':disabled') && opener.getClientRects().length > 0) opener.focus()
      else focusScreen()
    }
  }, [ref])
}
