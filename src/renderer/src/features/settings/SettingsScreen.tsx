/**
 * Settings: provider profiles (keys write-only, limits), paused providers, breakers, the
 * health report, what is set at start-up, and the keyboard shortcuts.
 */
import { useEffect, useMemo } from 'react'
import { useClient } from '../../client'
import { Engine, Shortcuts } from './About'
import { Breakers } from './Breakers'
import { Health } from './Health'
import { ProfileForm, RemoveConfirm } from './ProfileForm'
import { Providers } from './Providers'
import { createSettingsStore } from './settings'
import { SettingsProvider, useSettings } from './use-settings'
import './settings.css'

function Notice() {
  const notice = useSettings((state) => state.notice)
  const dismiss = useSettings((state) => state.dismissNotice)
  if (!notice) return null
  return (
    <div
      className={`banner ${notice.tone === 'error' ? 'banner-critical' : 'banner-info'}`}
      role={notice.tone === 'error' ? 'alert' : 'status'}
      data-settings-notice={notice.tone}
    >
      <span>{notice.text}</span>
      <button type="button" className="button button-quiet" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  )
}

function Body() {
  const status = useSettings((state) => state.status)
  const problem = useSettings((state) => state.loadProblem)
  return (
    <main className="content scroll-content settings" data-screen-state={status}>
      {status === 'loading' && <p className="empty">Loading settings…</p>}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p className="empty-title">The settings could not be loaded</p>
          <p>{problem}</p>
        </div>
      )}
      {status === 'ready' && (
        <>
          <Providers />
          <Breakers />
          <Health />
          <div className="settings-pair">
            <Engine />
            <Shortcuts />
          </div>
          <ProfileForm />
          <RemoveConfirm />
        </>
      )}
    </main>
  )
}

export function SettingsScreen() {
  const client = useClient()
  const store = useMemo(() => createSettingsStore(client), [client])
  useEffect(() => store.getState().start(), [store])
  return (
    <SettingsProvider store={store}>
      <Notice />
      <Body />
    </SettingsProvider>
  )
}
