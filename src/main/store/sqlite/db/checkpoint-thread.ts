/**
 * The checkpointer thread: copies the WAL back into the database file on its own
 * connection, off the main thread. Left to SQLite, the checkpoint (and its fsync) runs
 * inside whichever commit crosses 1,000 WAL pages: on the main thread, 370 µs of every
 * drain commit and three quarters of a single enqueue (bench/queue, measured).
 * It never changes data: the main thread stays the one writer of jobs.
 */
import { parentPort, workerData } from 'node:worker_threads'
import Sqlite from 'better-sqlite3'

export interface CheckpointThreadData {
  file: string
  intervalMs: number
  nativeBinding?: string
}

const { file, intervalMs, nativeBinding } = workerData as CheckpointThreadData
const db = new Sqlite(file, { timeout: 5000, ...(nativeBinding ? { nativeBinding } : {}) })
db.pragma('journal_mode = WAL')
// Truncate a WAL that grew during a burst, once it has been copied back.
db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)

const timer = setInterval(() => {
  try {
    // PASSIVE never waits for or blocks the writer; what it cannot copy now it copies next time.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[]
    if (result && result.log > 0) parentPort?.postMessage({ walFrames: result.log, checkpointed: result.checkpointed })
  } catch (error) {
    // The code too: SQLITE_FULL is the engine's disk-full state, not a warning every interval.
    parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error), code: (error as { code?: unknown }).code })
  }
}, intervalMs)

parentPort?.on('message', (message: unknown) => {
  if (message !== 'stop') return
  clearInterval(timer)
  db.close()
  parentPort?.close()
})
