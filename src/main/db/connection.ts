/**
 * Opening the database: the pragmas every GenOps process uses, then migrations.
 * The app's engine and the CLI open the same file side by side, so WAL lets readers run
 * beside the writer and the busy timeout makes a second writer wait instead of failing.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Sqlite from 'better-sqlite3'
import type { Database, Statement } from 'better-sqlite3'
import { migrate } from './migrate'

export type { Database }

export interface OpenOptions {
  /** How long a write waits for another process's transaction, in ms. Default 5000. */
  busyTimeoutMs?: number
  /** better-sqlite3's native module built for another runtime (the desktop app's Electron ABI). */
  nativeBinding?: string
}

export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new Sqlite(file, { timeout: options.busyTimeoutMs ?? 5000, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) })
  try {
    db.pragma('journal_mode = WAL')
    // NORMAL in WAL mode survives a process crash; only a power cut can lose the last commits.
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('temp_store = MEMORY')
    migrate(db)
    return db
  } catch (error) {
    db.close()
    throw error
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
