/**
 * What screens with a store of their own share: the line that reports an action's outcome,
 * and the body that says it is loading, could not load, or shows the screen.
 */
import type { ReactNode } from 'react'

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
  children,
}: {
  status: 'loading' | 'ready' | 'error'
  problem: string | null
  what: string
  className: string
  children: ReactNode
}) {
  return (
    <main className={`content scroll-content ${className}`} data-screen-state={status}>
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
