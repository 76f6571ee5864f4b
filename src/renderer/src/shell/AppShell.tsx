/**
 * The window's frame: the top bar (brand, screens, connection, pause), the paused banner,
 * and the screen the route names. Screens own their content; the shell owns what every
 * screen shares.
 */
import type { ReactNode } from 'react'
import { AlertsBadge } from '../features/alerts/AlertsBadge'
import { AlertsScreen } from '../features/alerts/AlertsScreen'
import { DashboardScreen } from '../features/dashboard/DashboardScreen'
import { CostsScreen } from '../features/costs/CostsScreen'
import { FailuresScreen } from '../features/failures/FailuresScreen'
import { ChooseFilesButton } from '../features/intake/ChooseFilesButton'
import { DropOverlay } from '../features/intake/DropOverlay'
import { JobsScreen } from '../features/jobs/JobsScreen'
import { Notices } from '../features/notices/Notices'
import { SettingsScreen } from '../features/settings/SettingsScreen'
import { useQueue } from '../stores/use-queue'
import { useDesktopRequests } from './desktop-requests'
import { SCREEN_TITLES, SCREENS, useRoute, type Screen } from './route'
import { useShortcuts } from './shortcuts'
import { ConnectionStatus, PauseButton } from './TopBarParts'

const SCREEN_VIEWS: Record<Screen, () => ReactNode> = {
  dashboard: () => <DashboardScreen />,
  jobs: () => <JobsScreen />,
  failures: () => <FailuresScreen />,
  alerts: () => <AlertsScreen />,
  costs: () => <CostsScreen />,
  settings: () => <SettingsScreen />,
}

function Nav() {
  const screen = useRoute((state) => state.screen)
  const go = useRoute((state) => state.go)
  return (
    <nav className="nav" aria-label="Screens">
      {SCREENS.map((name, i) => (
        <a
          key={name}
          href={`#/${name}`}
          className={name === screen ? 'nav-item nav-item-current' : 'nav-item'}
          aria-current={name === screen ? 'page' : undefined}
          data-screen-link={name}
          title={`${SCREEN_TITLES[name]} (${i + 1})`}
          onClick={(event) => {
            event.preventDefault()
            go({ screen: name })
          }}
        >
          {SCREEN_TITLES[name]}
        </a>
      ))}
    </nav>
  )
}

export function AppShell() {
  const screen = useRoute((state) => state.screen)
  const paused = useQueue((state) => state.paused)
  const togglePaused = useQueue((state) => state.togglePaused)
  useShortcuts(() => void togglePaused())
  useDesktopRequests()
  return (
    <>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          GenOps
        </div>
        <Nav />
        <div className="topbar-actions">
          <AlertsBadge />
          <ConnectionStatus />
          <ChooseFilesButton />
          <PauseButton />
        </div>
      </header>
      {paused && (
        <div className="banner banner-paused" role="status">
          <strong>Queue paused.</strong> Running attempts finish; queued jobs wait until you resume.
        </div>
      )}
      <Notices />
      <div className="screen" data-screen={screen}>
        {SCREEN_VIEWS[screen]()}
      </div>
      <DropOverlay />
    </>
  )
}
