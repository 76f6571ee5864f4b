import { useEffect, useMemo } from 'react'
import { useStore } from 'zustand'
import { useClient } from '../../client'
import { createNoticesStore } from './notices'

/** The engine's notices as dismissible banners under the top bar, newest last. */
export function Notices() {
  const client = useClient()
  const store = useMemo(() => createNoticesStore(client), [client])
  useEffect(() => store.getState().start(), [store])
  const notices = useStore(store, (state) => state.notices)
  const dismiss = useStore(store, (state) => state.dismiss)
  if (notices.length === 0) return null
  return (
    <div className="notices" aria-live="polite">
      {notices.map((notice) => (
        <div key={notice.id} className={`banner banner-${notice.level}`} role={notice.level === 'critical' ? 'alert' : 'status'} data-notice={notice.level}>
          <span>{notice.message}</span>
          <button type="button" className="button button-quiet" onClick={() => dismiss(notice.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  )
}
