// Just enough of Electron's main-process API for the built shell (out/main/index.js) to
// start, wired to a real engine: each call that shows something is written to `shown`.
import { EventEmitter } from 'node:events'

export const shown = []
const note = (...entry) => shown.push(entry)
/** Every window the shell made, for a driver that calls the shell as that window's page would. */
export const windows = []

class App extends EventEmitter {
  isPackaged = false
  paths = {}
  getPath(name) {
    return this.paths[name] ?? '/nonexistent'
  }
  setPath(name, value) {
    this.paths[name] = value
  }
  requestSingleInstanceLock() {
    return true
  }
  whenReady() {
    return Promise.resolve()
  }
  quit() {
    note('quit')
    this.emit('before-quit', { preventDefault: () => note('quit-delayed') })
  }
  exit(code) {
    note('exit', code)
  }
}
export const app = new App()

class WebContents extends EventEmitter {
  loading = true
  isLoading() {
    return this.loading
  }
  send(channel, event) {
    if (!['counts', 'jobs', 'progress'].includes(event.type)) note('send', channel, event)
  }
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super()
    this.webContents = new WebContents()
    windows.push(this)
    note('window', options)
  }
  loadURL(url) {
    this.url = url
    note('load', url)
    this.webContents.emit('did-start-loading')
    setTimeout(() => {
      this.webContents.loading = false
      this.webContents.emit('did-finish-load')
      this.emit('ready-to-show')
      // The page's React app subscribes to events a moment later, as the preload then tells the shell.
      setTimeout(() => {
        ipcMain.emit('genops:listening', { sender: this.webContents })
        note('page-listening')
      }, 20)
    }, 20)
    return Promise.resolve()
  }
  isDestroyed() {
    return false
  }
  isMinimized() {
    return false
  }
  isVisible() {
    return true
  }
  isFullScreen() {
    return false
  }
  isMaximized() {
    return false
  }
  show() {}
  focus() {}
  restore() {}
  maximize() {}
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 }
  }
}

export const screen = {
  getPrimaryDisplay: () => ({ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }),
  getAllDisplays: () => [],
}
export const Menu = {
  buildFromTemplate: (template) => template,
  setApplicationMenu: (menu) => {
    globalThis.applicationMenu = menu
    note('menu', menu)
  },
}
export class Tray extends EventEmitter {
  constructor(image) {
    super()
    note('tray', image)
  }
  setToolTip(words) {
    note('tooltip', words)
  }
  setImage(image) {
    note('tray-image', image)
  }
  setContextMenu(menu) {
    note('tray-menu', menu)
  }
  isDestroyed() {
    return false
  }
  destroy() {}
}
export const nativeImage = { createFromPath: (path) => path }
export class Notification extends EventEmitter {
  static isSupported() {
    return true
  }
  constructor(options) {
    super()
    this.options = options
  }
  show() {
    note('notification', this.options)
    // The driver clicks the latest, as an operator would.
    globalThis.lastNotification = this
  }
}
export const dialog = {
  showErrorBox: (title, body) => note('error-box', title, body),
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
}
class IpcMain extends EventEmitter {
  handlers = new Map()
  handle(channel, handler) {
    this.handlers.set(channel, handler)
  }
}
export const ipcMain = new IpcMain()

/**
 * The keyring safeStorage would find, as FAKE_ELECTRON_KEYRING names it: unset, none at all
 * (encryption unavailable); else a Linux backend such as gnome_libsecret, or basic_text, the
 * fallback Electron picks when no keyring answers (and still calls encryption available).
 * Its "encryption" only has to keep the plain key out of the database.
 */
const keyring = process.env.FAKE_ELECTRON_KEYRING
export const safeStorage = {
  isEncryptionAvailable: () => keyring !== undefined,
  getSelectedStorageBackend: () => keyring ?? 'unknown',
  encryptString: (plain) => Buffer.from(`sealed:${Buffer.from(plain).toString('base64')}`),
  decryptString: (cipher) => Buffer.from(cipher.toString().slice('sealed:'.length), 'base64').toString(),
}
export const session = { defaultSession: { setPermissionRequestHandler: () => {} } }
export const shell = {
  showItemInFolder: (path) => note('show-item', path),
  openPath: async () => '',
}
