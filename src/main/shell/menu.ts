/** The application menu, rebuilt when the queue is paused or resumed so its item offers the other. */
import { app, Menu } from 'electron'
import type { DesktopActions } from './actions'
import { menuTemplate } from './menu-template'

export function installMenu(actions: DesktopActions): void {
  const build = () => {
    const template = menuTemplate(
      { platform: process.platform, packaged: app.isPackaged, paused: actions.paused },
      {
        openPromptFiles: () => void actions.openPromptFiles(),
        exportBundle: () => void actions.exportBundle(),
        togglePaused: () => void actions.togglePaused(),
        show: (route) => actions.show(route),
        openDataFolder: () => actions.openDataFolder(),
      },
    )
    Menu.setApplicationMenu(Menu.buildFromTemplate(template))
  }
  build()
  actions.onChange(build)
}
