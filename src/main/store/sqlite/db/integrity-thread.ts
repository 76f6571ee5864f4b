/**
 * The integrity thread: `PRAGMA quick_check` on a read-only connection of its own. It
 * reads every page of the file (seconds a GiB, more on a slow disk), which on the main
 * thread would freeze the engine and the window for that long. Here it only holds a read
 * snapshot: in WAL mode no writer waits for it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'
import { quickCheck } from './quick-check'

export interface IntegrityThreadData {
  file: string
  /** quick_check stops after this many problems. */
  maxProblems: number
  nativeBinding?: string | undefined
}

/** No problems is a sound file; an error is a file SQLite could not read through (code SQLITE_CORRUPT, SQLITE_BUSY...). */
export type IntegrityAnswer = { problems: string[] } | { error: string; code: string | null }

const { file, maxProblems, nativeBinding } = workerData as IntegrityThreadData
let answer: IntegrityAnswer
let db: Sqlite.Database | undefined
try {
  db = new Sqlite(file, { readonly: true, fileMustExist: true, timeout: 5000, ...(nativeBinding ? { nativeBinding } : {}) })
  answer = { problems: quickCheck(db, maxProblems) }
} catch (error) {
  const code = (error as { code?: unknown }).code
  answer = { error: error instanceof Error ? error.message : String(error), code: typeof code === 'string' ? code : null }
} finally {
  db?.close()
}
parentPort?.postMessage(answer)
