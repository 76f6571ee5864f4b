/**
 * The one GenOps window: opened where the operator left it, locked down, and the way the
 * rest of the shell talks to it. Electron glue only; the decisions (where it opens, what
 * it may do) are in window-state.ts and security.ts, tested in Node.
 */
import { BrowserWindow, ipcMain, screen } from 'electron'
import { EVENT_CHANNEL, LISTENING_CHANNEL } from '../../shared/bridge'
import type { EngineEvent } from '../../shared/contract'
import { windowWebPreferences } from './security'
import { fitToDisplays, loadWindowState, MIN_HEIGHT, MIN_WIDTH, WindowStateKeeper } from './window-state'

export interface DesktopWindowOptions {
  dataDir: string
  /** The page: the built renderer's file URL, or the dev server's. */
  url: string
  /** out/main, where the preload's path is found from. */
  outMainDir: string
  icon?: string
}

export class DesktopWindow {
  private window: BrowserWindow | undefined
  private readonly keeper: WindowStateKeeper
  /** Whether the page has subscribed to events since it last loaded; until it has, the shell's own events wait here. */
  private listening = false
  private waiting: EngineEvent[] = []

  constructor(private readonly options: DesktopWindowOptions) {
    this.keeper = new WindowStateKeeper(options.dataDir)
    ipcMain.on(LISTENING_CHANNEL, (event) => {
      const contents = this.current?.webContents
      if (!contents || event.sender !== contents) return
      this.listening = true
      for (const waiting of this.waiting.splice(0)) contents.send(EVENT_CHANNEL, waiting)
    })
  }

  get current(): BrowserWindow | undefined {
    return this.window && !this.window.isDestroyed() ? this.window : undefined
  }

  /** Opens the window if there is none. */
  open(): BrowserWindow {
    if (this.current) return this.current
    const displays = [screen.getPrimaryDisplay(), ...screen.getAllDisplays()]
    const state = fitToDisplays(loadWindowState(this.options.dataDir), displays)
    const created = new BrowserWindow({
      title: 'GenOps',
      x: state.x,
      y: state.y,
      width: state.width,
      height: state.height,
      minWidth: MIN_WIDTH,
      minHeight: MIN_HEIGHT,
      show: false,
      backgroundColor: '#f6f7f9',
      ...(this.options.icon ? { icon: this.options.icon } : {}),
      webPreferences: windowWebPreferences(this.options.outMainDir),
    })
    created.once('ready-to-show', () => {
      if (state.maximized) created.maximize()
      created.show()
    })
    const keep = () => {
      if (created.isMinimized() || created.isFullScreen()) return
      this.keeper.update({ ...created.getNormalBounds(), maximized: created.isMaximized() })
    }
    created.on('resize', keep)
    created.on('move', keep)
    created.on('maximize', keep)
    created.on('unmaximize', keep)
    created.on('close', () => void this.keeper.flush())
    created.on('closed', () => {
      if (this.window === created) this.window = undefined
    })
    // A reload or a new window: events wait until the page subscribes again.
    created.webContents.on('did-start-loading', () => {
      this.listening = false
    })
    void created.loadURL(this.options.url)
    this.listening = false
    this.window = created
    return created
  }

  /** Brings the window to the front, opening it if it was closed (the app lives on in the tray or the dock). */
  reveal(): BrowserWindow {
    const window = this.open()
    if (window.isMinimized()) window.restore()
    if (!window.isVisible()) window.show()
    window.focus()
    return window
  }

  /** Passes the engine's stream on as it comes; a page still loading fetches the state it needs once it runs. */
  forward(event: EngineEvent): void {
    this.current?.webContents.send(EVENT_CHANNEL, event)
  }

  /**
   * Sends the shell's own event (files opened, a place to show) once the page listens: a
   * just-opened window's React app subscribes after it loads, and would miss it.
   */
  send(event: EngineEvent): void {
    const window = this.current
    if (!window) return
    if (this.listening) window.webContents.send(EVENT_CHANNEL, event)
    else this.waiting.push(event)
  }

  /** Writes the window's state now: the app is quitting. */
  keepState(): Promise<void> {
    return this.keeper.flush()
  }
}
