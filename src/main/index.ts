/**
 * The Electron shell's entry: the app's lifecycle. One app per data directory (a second
 * start hands its files to the first and quits), the engine, the window, the menu, the
 * tray and the alert notifications, and an orderly close. The parts live in src/main/shell:
 * Electron glue there is thin, and what it decides is in modules Node tests without Electron.
 */
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { app, dialog, safeStorage } from 'electron'
import { createEngine, EngineConfig, type Engine } from './engine'
import { dataDir, RENDERER_DIR } from './paths'
import type { SecretBox } from './secret-box'
import { processSettings } from './settings/process'
import { DesktopActions } from './shell/actions'
import { electronSqliteBinding, iconsDirFor } from './shell/app-paths'
import { dataDirArgument, promptFilesInArgv } from './shell/argv'
import { serveOperations } from './shell/ipc'
import { installMenu } from './shell/menu'
import { notifyAlerts, tellStillRunning } from './shell/notifications'
import { lockDown } from './shell/lock-down'
import { DesktopTray } from './shell/tray'
import { DesktopWindow } from './shell/window'

const OUT_MAIN_DIR = fileURLToPath(new URL('.', import.meta.url))
const RENDERER_URL = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(RENDERER_DIR, 'index.html')).href
const ICONS_DIR = iconsDirFor(OUT_MAIN_DIR)

let engine: Engine | undefined
let actions: DesktopActions | undefined
let window: DesktopWindow | undefined
let tray: DesktopTray | undefined
let stopNotifying: (() => void) | undefined
/** Files handed over before the engine was up (macOS sends 'open-file' before 'ready'). */
const handedEarly: string[] = []

function openFiles(paths: readonly string[]): void {
  if (actions) void actions.openFiles(paths)
  else handedEarly.push(...paths)
}

/**
 * Why this desktop keeps no API keys although safeStorage says it can encrypt: on Linux with
 * no keyring (GNOME Keyring, KWallet) Electron falls back to `basic_text`, whose password is
 * written in Chromium's source, so a key "encrypted" with it is as readable in genops.db as
 * plain text. Undefined where the keychain is real.
 */
function keychainRefusal(): string | undefined {
  if (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text') return undefined
  return (
    'GenOps keeps no API keys on this desktop: no system keyring (GNOME Keyring, KWallet) answered, and without one Electron would ' +
    'store keys with a password anyone can read (its basic_text backend). Start a keyring and restart GenOps, or give each profile ' +
    'a key file, or give GenOps a team key (the teamKeyFile setting), or set OPENAI_API_KEY or ANTHROPIC_API_KEY.'
  )
}

/**
 * Said at start, not first when a key is saved: this machine's keychain seals no key on a team
 * store (no other engine could open it), and a key another engine sealed with the team key does
 * not open here, so that profile's jobs are left to the engines that have it.
 */
const TEAM_STORE_WITHOUT_TEAM_KEY =
  'GenOps works on a team store without the team key: it keeps no API keys, and leaves the jobs of a profile whose key the team kept ' +
  'to engines that have the key. Give this machine the same team key as the other engines (the teamKeyFile setting) and restart GenOps.'

/** API keys kept with profiles are encrypted by the OS keychain; where it has none, or only basic_text, no key is kept. */
function keychain(refusal: string | undefined): SecretBox | undefined {
  if (refusal !== undefined || !safeStorage.isEncryptionAvailable()) return undefined
  return { encrypt: (plain) => safeStorage.encryptString(plain), decrypt: (cipher) => safeStorage.decryptString(cipher) }
}

async function start(): Promise<void> {
  const explicit = dataDirArgument(process.argv)
  const directory = explicit || process.env.GENOPS_DATA_DIR ? dataDir(explicit) : app.getPath('userData')
  // One app per data directory: Chromium's single-instance lock lives in userData.
  app.setPath('userData', directory)
  if (!app.requestSingleInstanceLock()) {
    // The first instance got our argv in its 'second-instance' event: it opens the files.
    app.quit()
    return
  }
  app.on('second-instance', (_event, argv, workingDirectory) => {
    window?.reveal()
    openFiles(promptFilesInArgv(argv, workingDirectory))
  })
  // macOS hands files (dropped on the dock icon, "Open with") as events, not arguments.
  app.on('open-file', (event, path) => {
    event.preventDefault()
    openFiles([path])
  })
  handedEarly.push(...promptFilesInArgv(process.argv, process.cwd()))

  await app.whenReady()
  lockDown()
  // Asked once the app is ready: before, Linux's safeStorage has not chosen its backend.
  const keychainRefused = keychainRefusal()
  let keysRefused: string | undefined
  try {
    // settings.json and GENOPS_* variables (a file that cannot be used is named in the dialog below).
    const settings: Partial<EngineConfig> = processSettings(directory, EngineConfig)
    // With a team key the desktop keeps keys all the same: the team key seals them. On a team store without one it keeps none.
    keysRefused = settings.teamKeyFile !== undefined ? undefined : settings.store !== undefined ? TEAM_STORE_WITHOUT_TEAM_KEY : keychainRefused
    if (keysRefused !== undefined) console.warn(`genops: ${keysRefused}`)
    // The metrics exporter with its defaults (127.0.0.1:9464): a port in use is a failed health check, not a failed start.
    engine = await createEngine({
      ...settings,
      dataDir: directory,
      sqliteBinding: electronSqliteBinding(app.isPackaged, process.resourcesPath, process.env),
      secrets: keychain(keychainRefused),
      metrics: { ...settings.metrics, exporter: { ...settings.metrics?.exporter, enabled: true } },
    })
  } catch (error) {
    dialog.showErrorBox('GenOps could not start', `${error instanceof Error ? error.message : String(error)}\n\nData directory: ${directory}`)
    app.exit(1)
    return
  }
  window = new DesktopWindow({ dataDir: directory, url: RENDERER_URL, outMainDir: OUT_MAIN_DIR, icon: join(ICONS_DIR, '512x512.png') })
  serveOperations(engine, window, RENDERER_URL)
  actions = new DesktopActions(engine, window)
  await actions.watchQueue()
  installMenu(actions)
  tray = new DesktopTray(engine, actions, ICONS_DIR, () => app.quit())
  tray.start()
  stopNotifying = notifyAlerts(engine, actions)
  window.open()
  // Said in the window too, where profiles and their keys are edited: a log line alone goes unread.
  if (keysRefused !== undefined) window.send({ type: 'notice', data: { level: 'warning', message: keysRefused, at: Date.now() } })
  app.on('activate', () => window?.reveal())
  openFiles(handedEarly.splice(0))
}

let toldStillRunning = false
app.on('window-all-closed', () => {
  // The person running a batch closes the window and the queue runs on: the tray shows it
  // again or quits. Without a tray (it failed to start) closing quits, except on macOS,
  // where apps stay up with no window.
  if (tray) {
    if (!toldStillRunning) tellStillRunning()
    toldStillRunning = true
    return
  }
  if (process.platform !== 'darwin') app.quit()
})

let engineClosed = false
let closing: Promise<void> | undefined
app.on('before-quit', (event) => {
  if (!engine || engineClosed) return
  // Let running attempts finish and results commit before the process goes.
  event.preventDefault()
  const running = engine
  closing ??= Promise.all([window?.keepState(), Promise.resolve(stopNotifying?.()), Promise.resolve(tray?.stop())])
    .then(() => running.close())
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
