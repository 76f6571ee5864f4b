/**
 * What the desktop shell asks of the window: `show` (a notification or a tray item was
 * clicked) moves to the place it names; `filesOpened` (files handed to the app: a second
 * start, the dock) shows their preview in the drop dialog, as if they had been dropped.
 */
import { useEffect } from 'react'
import type { EngineEvent, EngineEvents } from '../../../shared/contract'
import { useClient } from '../client'
import { useIntakeStore } from '../features/intake/use-intake'

export interface DesktopTargets {
  setHash(hash: string): void
  showPreview(preview: EngineEvents['filesOpened']): void
}

export function applyDesktopRequest(event: EngineEvent, targets: DesktopTargets): void {
  // Only a place in this window: the desktop bridge hands events over as they come.
  if (event.type === 'show') {
    if (/^#\/[a-z0-9/-]*$/i.test(event.data.route)) targets.setHash(event.data.route)
  } else if (event.type === 'filesOpened') targets.showPreview(event.data)
}

export function useDesktopRequests(): void {
  const client = useClient()
  const intake = useIntakeStore()
  useEffect(
    () =>
      client.onEvent((event) =>
        applyDesktopRequest(event, {
          // The route store follows hashchange, so setting the hash is the whole move.
          setHash: (hash) => {
            window.location.hash = hash
          },
          showPreview: (preview) => intake.getState().showPreview(preview),
        }),
      ),
    [client, intake],
  )
}
