/**
 * Runs WAL checkpoints on a thread of their own (see checkpoint-thread.ts) and turns
 * SQLite's automatic checkpoints off on the main connection meanwhile. If the thread
 * fails, automatic checkpoints come back on, so the WAL never grows without bound.
 */
import type { Database } from 'better-sqlite3'
import type { CheckpointThreadData } from './checkpoint-thread'
import { startThread } from './thread'

export interface Checkpointer {
  stop(): Promise<void>
}

/** SQLite's own default, restored when the thread is gone. */
const AUTO_CHECKPOINT_PAGES = 1000

export function startCheckpointer(
  db: Database,
  options: {
    threadFile: string
    intervalMs: number
    nativeBinding?: string | undefined
    /** `code` is SQLite's (SQLITE_FULL...) when a checkpoint failed. */
    onError(message: string, code?: string): void
    /** After each checkpoint that found frames in the WAL: how many, and how many it copied. */
    onCheckpoint?(walFrames: number, checkpointed: number): void
  },
): Checkpointer {
  const data: CheckpointThreadData = { file: db.name, intervalMs: options.intervalMs, nativeBinding: options.nativeBinding }
  const thread = startThread(options.threadFile, data)
  thread.unref()
  db.pragma('wal_autocheckpoint = 0')
  let stopping = false
  let fellBack = false
  let exited = false
  const exit = new Promise<void>((resolve) =>
    thread.once('exit', () => {
      exited = true
      resolve()
    }),
  )
  const fallBack = (reason: string) => {
    if (stopping || fellBack || !db.open) return
    fellBack = true
    db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`)
    options.onError(`the checkpoint thread stopped (${reason}); SQLite checkpoints on the main thread again`)
  }
  thread.on('message', (message: { error?: string; code?: string; walFrames?: number; checkpointed?: number }) => {
    if (message.error) options.onError(`a WAL checkpoint failed: ${message.error}`, message.code)
    else options.onCheckpoint?.(message.walFrames ?? 0, message.checkpointed ?? 0)
  })
  thread.on('error', (error) => fallBack(error.message))
  thread.on('exit', (code) => fallBack(`exit code ${code}`))
  return {
    async stop() {
      stopping = true
      if (!exited) {
        // Held while it stops: an unreferenced thread would let the process end mid-await.
        thread.ref()
        thread.postMessage('stop')
        await exit
      }
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`)
    },
  }
}
