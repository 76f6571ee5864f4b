/**
 * Where things live. The same code runs from source (tsx, vitest) and from the
 * electron-vite build, where src/main bundles into out/main beside the worker entry.
 */
import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const fromSource = import.meta.url.endsWith('.ts')

/** The piscina entry that runs one attempt. */
export const WORKER_FILE = fromSource ? join(here, '../workers/attempt.ts') : join(here, 'attempt.js')

/** The thread that checkpoints the WAL off the main thread. */
export const CHECKPOINT_THREAD_FILE = fromSource ? join(here, 'store/sqlite/db/checkpoint-thread.ts') : join(here, 'checkpoint-thread.js')

/** The thread that runs `PRAGMA quick_check` while the engine starts (and checks a backup once written). */
export const INTEGRITY_THREAD_FILE = fromSource ? join(here, 'store/sqlite/db/integrity-thread.ts') : join(here, 'integrity-thread.js')

/** The thread that parses large prompt files off the main thread. */
export const INTAKE_THREAD_FILE = fromSource ? join(here, 'intake/intake-thread.ts') : join(here, 'intake-thread.js')

/** The thread that counts prompts' tokens for an estimate: the tokenizer's tables load and run off the main thread. */
export const TOKEN_THREAD_FILE = fromSource ? join(here, 'costs/token-thread.ts') : join(here, 'token-thread.js')

/** The built renderer that headless mode serves. */
export const RENDERER_DIR = fromSource ? join(here, '../../out/renderer') : join(here, '../renderer')

export const APP_NAME = 'GenOps'

/**
 * The data directory: --data-dir, else GENOPS_DATA_DIR, else Electron's userData for
 * "GenOps" on this platform, so the app, headless mode and the CLI share one queue.
 */
export function dataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (explicit) return resolve(explicit)
  if (env.GENOPS_DATA_DIR) return resolve(env.GENOPS_DATA_DIR)
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME)
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME)
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME)
}

export const databaseFile = (dir: string): string => join(dir, 'genops.db')

/** Where `genops backup` and the engine's daily backups go. */
export const backupsDir = (dir: string): string => join(dir, 'backups')

/** Owner only: the data directory holds the queue's prompts, outputs and logs. */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** What GenOps keeps in a data directory: a directory holding only these is GenOps's own. */
const OURS = /^(genops\.db.*|logs|artifacts|bundles|backups|exports|settings\.json)$/

/**
 * Creates the data directory owner-only (0700), or tightens an existing one that is more
 * open when it is GenOps's own (it holds nothing else). A directory the operator pointed at
 * that also holds other things (or a shared one such as /tmp, with its sticky bit) keeps
 * its mode: GenOps's own files in it are 0600 whatever the directory is.
 */
export function ensureDataDir(dir: string): void {
  if (process.platform === 'win32') {
    mkdirSync(dir, { recursive: true })
    return
  }
  // A new directory is 0700 (a umask only takes bits away): only an older one can be more open.
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE })
  const { mode, uid } = statSync(dir)
  if ((mode & 0o077) === 0 || (mode & 0o1000) !== 0 || uid !== process.getuid?.()) return
  if (readdirSync(dir).every((name) => OURS.test(name))) chmodSync(dir, PRIVATE_DIR_MODE)
}
