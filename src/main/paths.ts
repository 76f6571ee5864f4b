/**
 * Where things live. The same code runs from source (tsx, vitest) and from the
 * electron-vite build, where src/main bundles into out/main beside the worker entry.
 */
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const fromSource = import.meta.url.endsWith('.ts')

/** The piscina entry that runs one attempt. */
export const WORKER_FILE = fromSource ? join(here, '../workers/attempt.ts') : join(here, 'attempt.js')

/** The thread that checkpoints the WAL off the main thread. */
export const CHECKPOINT_THREAD_FILE = fromSource ? join(here, 'db/checkpoint-thread.ts') : join(here, 'checkpoint-thread.js')

/** The thread that parses large prompt files off the main thread. */
export const INTAKE_THREAD_FILE = fromSource ? join(here, 'intake/intake-thread.ts') : join(here, 'intake-thread.js')

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
