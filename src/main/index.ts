/**
 * The Electron shell: the app's lifecycle, its one window, and the IPC that joins the
 * window to the engine. The only module in src/main that imports electron; everything it
 * serves comes from the engine, through the operations the contract declares.
 */
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, BrowserWindow, dialog, ipcMain, safeStorage, session, type IpcMainInvokeEvent } from 'electron'
import { EVENT_CHANNEL, operationChannel, type IpcOutcome } from '../shared/bridge'
import { OPERATION_NAMES, OperationError, type OperationFailure } from '../shared/contract'
import { createEngine, type Engine } from './engine'
import { dataDir, RENDERER_DIR } from './paths'
import type { SecretBox } from './secrets'

const here = fileURLToPath(new URL('.', import.meta.url))
const PRELOAD_FILE = join(here, '../preload/index.cjs')
const RENDERER_URL = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(RENDERER_DIR, 'index.html')).href

let engine: Engine | undefined
let window: BrowserWindow | undefined

/** `--data-dir DIR` or `--data-dir=DIR` among the app's arguments. */
function dataDirArgument(argv: readonly string[]): string | undefined {
  for (const [index, arg] of argv.entries()) {
    if (arg === '--data-dir') return argv[index + 1]
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length)
  }
  return undefined
}

/** A URL without its query and fragment, so the page is compared, not its state. */
function pageOf(url: string): string {
  const parsed = new URL(url)
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

/** Only our window's top frame, showing our page, may call the engine. */
function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame
  return window !== undefined && event.sender === window.webContents && frame !== null && frame.parent === null && pageOf(frame.url) === pageOf(RENDERER_URL)
}

function failure(error: unknown): OperationFailure {
  if (error instanceof OperationError) return { error: { code: error.code, message: error.message } }
  console.error('genops: operation failed:', error)
  return { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } }
}

function serveOperations(running: Engine): void {
  for (const name of OPERATION_NAMES) {
    ipcMain.handle(operationChannel(name), async (event, input: unknown): Promise<IpcOutcome<unknown>> => {
      if (!fromOurWindow(event)) return { error: { code: 'UNAUTHORIZED', message: `${name}: refused a call from a frame that is not the GenOps window` } }
      try {
        return { value: await running.call(name, input) }
      } catch (error) {
        return failure(error)
      }
    })
  }
  running.subscribe((event) => {
    if (window && !window.isDestroyed()) window.webContents.send(EVENT_CHANNEL, event)
  })
}

function openWindow(): BrowserWindow {
  const created = new BrowserWindow({
    title: 'GenOps',
    width: 1280,
    height: 820,
    minWidth: 860,
    minHeight: 520,
    show: false,
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: PRELOAD_FILE,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  })
  created.once('ready-to-show', () => created.show())
  created.on('closed', () => {
    if (window === created) window = undefined
  })
  void created.loadURL(RENDERER_URL)
  return created
}

/** No navigation away from our page, no new windows, no permissions, no webviews. */
function lockDown(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
}

/** API keys kept with profiles are encrypted by the OS keychain; where it has none, no key is kept. */
function keychain(): SecretBox | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined
  return { encrypt: (plain) => safeStorage.encryptString(plain), decrypt: (cipher) => safeStorage.decryptString(cipher) }
}

async function start(): Promise<void> {
  const explicit = dataDirArgument(process.argv)
  const directory = explicit || process.env.GENOPS_DATA_DIR ? dataDir(explicit) : app.getPath('userData')
  // One app per data directory: Chromium's single-instance lock lives in userData.
  app.setPath('userData', directory)
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  app.on('second-instance', () => {
    if (!window) return
    if (window.isMinimized()) window.restore()
    window.focus()
  })
  await app.whenReady()
  lockDown()
  try {
    // scripts/desktop.js builds better-sqlite3 for Electron's ABI and says where.
    // The metrics exporter with its defaults (127.0.0.1:9464): a port in use is a failed health check, not a failed start.
    engine = await createEngine({
      dataDir: directory,
      sqliteBinding: process.env.GENOPS_SQLITE_BINDING,
      secrets: keychain(),
      metrics: { exporter: { enabled: true } },
    })
  } catch (error) {
    dialog.showErrorBox('GenOps could not start', `${error instanceof Error ? error.message : String(error)}\n\nData directory: ${directory}`)
    app.exit(1)
    return
  }
  serveOperations(engine)
  window = openWindow()
  app.on('activate', () => {
    window ??= openWindow()
  })
}

app.on('window-all-closed', () => {
  // On macOS the app, and the queue it runs, stay up with no window, as Mac apps do.
  if (process.platform !== 'darwin') app.quit()
})

let engineClosed = false
let closing: Promise<void> | undefined
app.on('before-quit', (event) => {
  if (!engine || engineClosed) return
  // Let running attempts finish and results commit before the process goes.
  event.preventDefault()
  const running = engine
  closing ??= running
    .close()
    .catch((error: unknown) => console.error('genops: closing the engine failed:', error))
    .finally(() => {
      engineClosed = true
      app.quit()
    })
})

start().catch((error: unknown) => {
  console.error('genops: the app failed to start:', error)
  app.exit(1)
})
