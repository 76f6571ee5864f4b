/**
 * Settings: provider profiles (keys write-only, limits), paused providers, breakers, the
 * health report, the engine's settings, the response cache, a diagnostic bundle to export, what is set at
 * start-up, and the keyboard shortcuts.
 */
import { useEffect, useMemo } from 'react'
import { useClient } from '../../client'
import { NoticeBanner, ScreenBody } from '../../components/screen'
import { Engine, Shortcuts } from './About'
import { Breakers } from './Breakers'
import { Diagnostics } from './Diagnostics'
import { EngineSettings } from './EngineSettings'
import { Health } from './Health'
import { ProfileForm, RemoveConfirm } from './ProfileForm'
import { Providers } from './Providers'
import { ResponseCache } from './ResponseCache'
import { Workers } from './Workers'
import { createSettingsStore } from './settings'
import { SettingsProvider, useSettings } from './use-settings'
import './settings.css'

function Notice() {
  const notice = useSettings((state) => state.notice)
  const dismiss = useSettings((state) => state.dismissNotice)
  return <NoticeBanner notice={notice} onDismiss={dismiss} name="settings" />
}

function Body() {
  const status = useSettings((state) => state.status)
  const problem = useSettings((state) => state.loadProblem)
  return (
    <ScreenBody status={status} problem={problem} what="settings" className="settings">
      <Providers />
      <Breakers />
      <Health />
      <Workers />
      <EngineSettings />
      <ResponseCache />
      <Diagnostics />
      <div className="settings-pair">
        <Engine />
        <Shortcuts />
      </div>
      <ProfileForm />
      <RemoveConfirm />
    </ScreenBody>
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
