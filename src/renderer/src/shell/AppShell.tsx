/**
 * The window's frame: the skip link, the top bar (brand, screens, connection, pause), the
 * paused banner, the screen the route names, and the live regions screen readers hear.
 * Screens own their content; the shell owns what every screen shares.
 */
import { useEffect, useRef, type ReactNode } from 'react'
import { focusScreen } from '../components/use-dialog-focus'
import { Announcer } from '../features/announcer/Announcer'
import { AlertsBadge } from '../features/alerts/AlertsBadge'
import { AlertsScreen } from '../features/alerts/AlertsScreen'
import { BatchesScreen } from '../features/batches/BatchesScreen'
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
  batches: () => <BatchesScreen />,
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

/**
 * A screen that replaces the one holding the focus (a shortcut, a link inside it) takes the
 * focus itself, so the keyboard goes on from the new screen instead of from the page's top.
 */
function useFocusFollowsScreen(screen: Screen): void {
  const first = useRef(true)
  useEffect(() => {
    if (first.current) {
      first.current = false
      return
    }
    if (document.activeElement === null || document.activeElement === document.body) focusScreen()
  }, [screen])
}

function SkipLink() {
  return (
    <a
      className="skip-link"
      href="#/"
      onClick={(event) => {
        // Not a place in the address (the hash names screens): the focus moves, the screen stays.
        event.preventDefault()
        focusScreen()
      }}
    >
      Skip to the screen
    </a>
  )
}

export function AppShell() {
  const screen = useRoute((state) => state.screen)
  const paused = useQueue((state) => state.paused)
  const togglePaused = useQueue((state) => state.togglePaused)
  useShortcuts(() => void togglePaused())
  useDesktopRequests()
  useFocusFollowsScreen(screen)
  return (
    <>
      <header className="topbar">
        {/* First in the Tab order, and inside a landmark like everything else. */}
        <SkipLink />
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
      {/* A landmark, not a live region: the Announcer says the pause once, when it happens. */}
      {paused && (
        <section className="banner banner-paused" aria-label="Queue paused">
          <strong>Queue paused.</strong> Running attempts finish; queued jobs wait until you resume.
        </section>
      )}
      <Notices />
      <div className="screen" data-screen={screen}>
        {SCREEN_VIEWS[screen]()}
      </div>
      <DropOverlay />
      <Announcer />
    </>
  )
}
