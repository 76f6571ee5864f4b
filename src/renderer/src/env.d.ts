import type { Bridge } from '../../shared/bridge'

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser served by `genops serve`. */
    readonly api?: Bridge
  }
}
