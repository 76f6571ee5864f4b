/**
 * Opening the database: the file's header checked, its mode owner-only, the pragmas every
 * GenOps process uses, then migrations. The app's engine and the CLI open the same file
 * side by side, so WAL lets readers run beside the writer and the busy timeout makes a
 * second writer wait instead of failing.
 */
import { chmodSync, closeSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Sqlite from 'better-sqlite3'
import type { Database, Statement } from 'better-sqlite3'
import { ensureDataDir, PRIVATE_FILE_MODE } from '../../../paths'
import { checkDatabaseFile, namedDamage } from './damage'
import { migrate } from './migrate'

export type { Database }

export interface OpenOptions {
  /** How long a write waits for another process's transaction, in ms. Default 5000. */
  busyTimeoutMs?: number
  /** better-sqlite3's native module built for another runtime (the desktop app's Electron ABI). */
  nativeBinding?: string
}

/** Throws DatabaseDamagedError (see damage.ts) for a file that is not, or no longer, a sound queue. */
export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (file !== ':memory:') prepareFile(file)
  let db: Database
  try {
    db = new Sqlite(file, { timeout: options.busyTimeoutMs ?? 5000, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) })
  } catch (error) {
    throw namedDamage(error, file)
  }
  try {
    walMode(db, options.busyTimeoutMs ?? 5000)
    // NORMAL in WAL mode survives a process crash; only a power cut can lose the last commits.
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('temp_store = MEMORY')
    migrate(db)
    return db
  } catch (error) {
    db.close()
    throw namedDamage(error, file)
  }
}

/**
 * Switches a new file to WAL, waiting for another process that opens it at the same moment.
 * SQLite answers this pragma SQLITE_BUSY at once, without the busy timeout, while another
 * connection holds the new file's lock (two `genops` commands started together on a new
 * data directory): so it is asked again, a few ms apart, up to the busy timeout.
 */
function walMode(db: Database, timeoutMs: number): void {
  const until = Date.now() + timeoutMs
  for (let waitMs = 2; ; waitMs = Math.min(waitMs * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL')
      return
    } catch (error) {
      // SQLITE_BUSY, or an extended form of it (SQLITE_BUSY_RECOVERY while the other process recovers the WAL).
      if (!String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY') || Date.now() >= until) throw error
      // Synchronous as the open is: a few ms on this thread, only while another process holds the lock.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, waitMs)
    }
  }
}

/**
 * Checks the header before SQLite can take a damaged file for a new one, and makes the
 * file 0600 before SQLite opens it: SQLite gives the -wal and -shm files it creates the
 * database file's mode, and would create a new database 0644.
 */
function prepareFile(file: string): void {
  ensureDataDir(dirname(file))
  checkDatabaseFile(file)
  if (process.platform === 'win32') return
  try {
    closeSync(openSync(file, 'wx', PRIVATE_FILE_MODE))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, PRIVATE_FILE_MODE)
    } catch (error) {
      // Another process's checkpoint may remove the WAL between the stat and the chmod; another user's file is not ours to tighten.
      if (!['ENOENT', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
    }
  }
}

const cache = new WeakMap<Database, Map<string, Statement>>()

/** A prepared statement, prepared once per connection: preparing costs more than most runs. */
export function sql(db: Database, text: string): Statement {
  let statements = cache.get(db)
  if (!statements) cache.set(db, (statements = new Map()))
  let statement = statements.get(text)
  if (!statement) statements.set(text, (statement = db.prepare(text)))
  return statement
}
