/**
 * The tray icon: green, amber or red for ok, degraded or alerting (tray-state.ts decides),
 * the state in words as its tooltip, and a menu for what an operator does without the
 * window. Refreshed when an alert changes and every 10 s, since health has no event.
 */
import { join } from 'node:path'
import { Menu, nativeImage, Tray } from 'electron'
import type { Engine } from '../engine'
import type { DesktopActions } from './actions'
import { trayMenuTemplate, trayState, type TrayState } from './tray-state'

const REFRESH_MS = 10_000

export class DesktopTray {
  private tray: Tray | undefined
  private timer: NodeJS.Timeout | undefined
  private refreshing = false
  private again = false
  private shown: TrayState | undefined

  constructor(
    private readonly engine: Engine,
    private readonly actions: DesktopActions,
    private readonly iconsDir: string,
    private readonly quit: () => void,
  ) {}

  start(): void {
    this.tray = new Tray(this.icon('ok'))
    this.tray.setToolTip('GenOps')
    // Windows and Linux open the window on a click; macOS shows the menu, as its tray icons do.
    this.tray.on('click', () => {
      if (process.platform !== 'darwin') this.actions.reveal()
    })
    this.engine.subscribe((event) => {
      if (event.type === 'alert') void this.refresh()
    })
    this.actions.onChange(() => void this.refresh())
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS)
    void this.refresh()
  }

  stop(): void {
    clearInterval(this.timer)
    this.tray?.destroy()
    this.tray = undefined
  }

  private icon(look: TrayState['look']) {
    // Electron takes tray-<look>@2x.png beside it on a high-density display.
    return nativeImage.createFromPath(join(this.iconsDir, `tray-${look}.png`))
  }

  /** Asks the engine where things stand and redraws; a refresh asked for during one runs once after it. */
  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true
      return
    }
    this.refreshing = true
    try {
      const [health, alerts] = await Promise.all([
        this.engine.call('healthReport', {}).then(
          (report) => report.status,
          () => null,
        ),
        // No alert rules (or none readable) is no alert firing: the tray still shows health.
        this.engine.call('listAlerts', {}).then(
          (answer) => answer.alerts,
          () => [],
        ),
      ])
      this.draw(trayState(health, alerts, this.actions.paused))
    } finally {
      this.refreshing = false
      if (this.again) {
        this.again = false
        void this.refresh()
      }
    }
  }

  private draw(state: TrayState): void {
    const tray = this.tray
    if (!tray || tray.isDestroyed()) return
    if (state.look !== this.shown?.look) tray.setImage(this.icon(state.look))
    tray.setToolTip(state.words)
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuTemplate(state, this.actions.paused, {
          showWindow: () => this.actions.reveal(),
          togglePaused: () => void this.actions.togglePaused(),
          exportBundle: () => void this.actions.exportBundle(),
          quit: this.quit,
        }),
      ),
    )
    this.shown = state
  }
}
