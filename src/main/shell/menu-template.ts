/**
 * The application menu, as data: what each item says, its shortcut and what it does. Pure
 * (no electron), so a test reads the template; src/main/shell/menu.ts hands it to
 * Menu.buildFromTemplate, whose type checks that this shape fits.
 */

/** The roles used here: Electron supplies their labels, shortcuts and behaviour per platform. */
export type MenuRole =
  | 'appMenu'
  | 'editMenu'
  | 'windowMenu'
  | 'help'
  | 'about'
  | 'quit'
  | 'close'
  | 'reload'
  | 'forceReload'
  | 'toggleDevTools'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen'

/** The part of Electron's MenuItemConstructorOptions this app uses. */
export interface MenuItem {
  label?: string
  role?: MenuRole
  type?: 'separator' | 'normal' | 'submenu'
  accelerator?: string
  enabled?: boolean
  click?: () => void
  submenu?: MenuItem[]
}

/** Places the menu and the tray show, as the window's address names them. */
export const PLACES = [
  { label: 'Dashboard', route: '#/dashboard' },
  { label: 'Jobs', route: '#/jobs' },
  { label: 'Batches', route: '#/batches' },
  { label: 'Failures', route: '#/failures' },
  { label: 'Alerts', route: '#/alerts' },
  { label: 'Costs', route: '#/costs' },
  { label: 'Settings', route: '#/settings' },
] as const
export type PlaceRoute = (typeof PLACES)[number]['route']

/** What the menu's own items do; the shell wires them to the engine and the window. */
export interface MenuActions {
  openPromptFiles(): void
  exportBundle(): void
  togglePaused(): void
  show(route: PlaceRoute): void
  openDataFolder(): void
}

export interface MenuSituation {
  platform: NodeJS.Platform
  /** A packaged app has no reload and no developer tools: an operator has no use for them. */
  packaged: boolean
  /** Whether the queue is paused now: the item offers the other. */
  paused: boolean
}

const separator: MenuItem = { type: 'separator' }

export function pauseLabel(paused: boolean): string {
  return paused ? 'Resume queue' : 'Pause queue'
}

export function menuTemplate(situation: MenuSituation, actions: MenuActions): MenuItem[] {
  const mac = situation.platform === 'darwin'
  const file: MenuItem = {
    label: 'File',
    submenu: [
      { label: 'Open prompt files…', accelerator: 'CmdOrCtrl+O', click: () => actions.openPromptFiles() },
      separator,
      { label: pauseLabel(situation.paused), accelerator: 'CmdOrCtrl+Shift+P', click: () => actions.togglePaused() },
      { label: 'Export diagnostic bundle', accelerator: 'CmdOrCtrl+Shift+E', click: () => actions.exportBundle() },
      separator,
      // A Mac app quits from its app menu; File ends with closing the window there.
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  }
  const developer: MenuItem[] = situation.packaged ? [] : [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, separator]
  const view: MenuItem = {
    label: 'View',
    submenu: [
      ...PLACES.map((place, index): MenuItem => ({ label: place.label, accelerator: `CmdOrCtrl+${index + 1}`, click: () => actions.show(place.route) })),
      separator,
      ...developer,
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' },
    ],
  }
  const help: MenuItem = {
    role: 'help',
    submenu: [{ label: 'Open data folder', click: () => actions.openDataFolder() }, ...(mac ? [] : [separator, { role: 'about' } as MenuItem])],
  }
  return [...(mac ? [{ role: 'appMenu' } as MenuItem] : []), file, { role: 'editMenu' }, view, { role: 'windowMenu' }, help]
}
