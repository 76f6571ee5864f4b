/**
 * Alerts on the desktop: a notification when one fires or resolves, within the limits
 * alert-notices.ts keeps. Clicking one opens the window on that alert (or, for a summary, the Alerts screen).
 */
import { Notification } from 'electron'
import type { Engine } from '../engine'
import type { DesktopActions } from './actions'
import { AlertNotices, type DesktopNote } from './alert-notices'

/** Starts notifying; returns the function that stops. */
export function notifyAlerts(engine: Engine, actions: DesktopActions): () => void {
  if (!Notification.isSupported()) return () => {}
  // A notification nobody holds can be collected before it is clicked, and its click lost.
  const showing = new Set<Notification>()
  const show = (note: DesktopNote) => {
    const notification = new Notification({ title: note.title, body: note.body })
    showing.add(notification)
    notification.on('click', () => {
      showing.delete(notification)
      actions.show(note.alert ? `#/alerts/${note.alert}` : '#/alerts')
    })
    notification.on('close', () => showing.delete(notification))
    notification.show()
  }
  const notices = new AlertNotices(show)
  const unsubscribe = engine.subscribe((event) => {
    if (event.type === 'alert') notices.offer(event.data)
  })
  return () => {
    unsubscribe()
    notices.stop()
  }
}

/** Said once a run, when the last window closes: the queue runs on, and where the app is now. */
export function tellStillRunning(): void {
  if (!Notification.isSupported()) return
  new Notification({
    title: 'GenOps is still running',
    body: 'The queue runs on with the window closed. The tray icon (the menu bar on macOS) opens it again, or quits.',
  }).show()
}
