/**
 * No remote content: navigation away from our page, new windows, webviews and permission
 * prompts (camera, notifications from the page, ...) are all refused, for every web
 * contents the app ever makes.
 */
import { app, session } from 'electron'

export function lockDown(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-redirect', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
}
