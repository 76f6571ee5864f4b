/**
 * What screens with a store of their own share: the line that reports an action's outcome,
 * and the body that says it is loading, could not load, or shows the screen, under the
 * screen's one h1 (its name in the navigation, so a screen added later has one too).
 */
import type { ReactNode } from 'react'
import { SCREEN_TITLES, useRoute } from '../shell/route'

/** An action's outcome in words, for the operator to read and dismiss. */
export interface ScreenNotice {
  tone: 'info' | 'error'
  text: string
}

/** `name` makes the attribute tests wait on: data-<name>-notice="info|error". */
export function NoticeBanner({ notice, onDismiss, name }: { notice: ScreenNotice | null; onDismiss: () => void; name: string }) {
  if (!notice) return null
  const error = notice.tone === 'error'
  return (
    <div className={`banner ${error ? 'banner-critical' : 'banner-info'}`} role={error ? 'alert' : 'status'} {...{ [`data-${name}-notice`]: notice.tone }}>
      <span>{notice.text}</span>
      <button type="button" className="button button-quiet" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  )
}

/** The screen's main element, announcing its state in data-screen-state. `what` names it in the messages: "the failures". */
export function ScreenBody({
  status,
  problem,
  what,
  className,
  title,
  children,
}: {
  status: 'loading' | 'ready' | 'error'
  problem: string | null
  what: string
  className: string
  /** The h1; the screen's name in the navigation when not given. */
  title?: string
  children: ReactNode
}) {
  const screen = useRoute((state) => state.screen)
  return (
    <main className={`content scroll-content ${className}`} data-screen-state={status} tabIndex={-1}>
      <h1 className="screen-title">{title ?? SCREEN_TITLES[screen]}</h1>
      {status === 'loading' && <p className="empty">Loading {what}…</p>}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p className="empty-title">The {what} could not be loaded</p>
          <p>{problem}</p>
        </div>
      )}
      {status === 'ready' && children}
    </main>
  )
}
