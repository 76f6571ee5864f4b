import { useEffect, useMemo } from 'react'
import { useStore } from 'zustand'
import { useClient } from '../../client'
import { createNoticesStore } from './notices'

/** The engine's notices as dismissible banners under the top bar, newest last. Screen readers hear them through the Announcer, once. */
export function Notices() {
  const client = useClient()
  const store = useMemo(() => createNoticesStore(client), [client])
  useEffect(() => store.getState().start(), [store])
  const notices = useStore(store, (state) => state.notices)
  const dismiss = useStore(store, (state) => state.dismiss)
  if (notices.length === 0) return null
  return (
    <section className="notices" aria-label="Engine notices">
      {notices.map((notice) => (
        <div key={notice.id} className={`banner banner-${notice.level}`} data-notice={notice.level}>
          <span>{notice.message}</span>
          <button type="button" className="button button-quiet" onClick={() => dismiss(notice.id)}>
            Dismiss
          </button>
        </div>
      ))}
    </section>
  )
}
