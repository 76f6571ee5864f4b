/**
 * What the menu, the tray and the OS (a second start, the dock) ask of the app: open
 * prompt files, export a diagnostic bundle, pause or resume the queue, show a place.
 * Electron glue over the engine's operations and the pure open-files.ts.
 */
import { dialog, shell } from 'electron'
import { INTAKE_EXTENSIONS } from '../../shared/intake'
import type { Engine } from '../engine'
import type { PlaceRoute } from './menu-template'
import { previewPromptFiles } from './open-files'
import type { DesktopWindow } from './window'

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

export class DesktopActions {
  /** Whether the queue is paused, as the engine last said: the menu and the tray offer the other. */
  paused = false
  private readonly changed = new Set<() => void>()
  /** Handed files are previewed one handoff after another, so two never mix into one intake. */
  private opening: Promise<void> = Promise.resolve()

  constructor(
    private readonly engine: Engine,
    private readonly window: DesktopWindow,
  ) {}

  /** Follows the queue's paused flag; `onChange` runs when it flips. */
  async watchQueue(): Promise<void> {
    this.setPaused((await this.engine.call('queueStats', {})).paused)
    this.engine.subscribe((event) => {
      if (event.type === 'counts') this.setPaused(event.data.paused)
    })
  }

  onChange(listener: () => void): void {
    this.changed.add(listener)
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return
    this.paused = paused
    for (const listener of this.changed) listener()
  }

  /** Prompt files handed over: the window comes forward and shows their preview, as a drop would. */
  openFiles(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return this.opening
    this.opening = this.opening.then(async () => {
      this.window.reveal()
      for (const event of await previewPromptFiles(this.engine, paths)) this.window.send(event)
    })
    return this.opening
  }

  async openPromptFiles(): Promise<void> {
    const owner = this.window.reveal()
    const chosen = await dialog.showOpenDialog(owner, {
      title: 'Open prompt files',
      properties: ['openFile', 'multiSelections'],
      filters: [{ name: 'Prompt files', extensions: INTAKE_EXTENSIONS.map((extension) => extension.slice(1)) }],
    })
    if (!chosen.canceled) await this.openFiles(chosen.filePaths)
  }

  async exportBundle(): Promise<void> {
    try {
      const bundle = await this.engine.call('exportBundle', {})
      shell.showItemInFolder(bundle.path)
    } catch (error) {
      dialog.showErrorBox('GenOps could not export a diagnostic bundle', message(error))
    }
  }

  async togglePaused(): Promise<void> {
    try {
      const stats = await this.engine.call(this.paused ? 'resumeQueue' : 'pauseQueue', {})
      this.setPaused(stats.paused)
    } catch (error) {
      dialog.showErrorBox('GenOps could not change the queue', message(error))
    }
  }

  reveal(): void {
    this.window.reveal()
  }

  /** A screen, or a place in one (`#/alerts/GenOpsDiskLow`). */
  show(route: PlaceRoute | `#/${string}`): void {
    this.window.reveal()
    this.window.send({ type: 'show', data: { route } })
  }

  openDataFolder(): void {
    void shell.openPath(this.engine.dataDir)
  }
}
