/**
 * Backups of the database: SQLite's online backup API (better-sqlite3's `.backup()`), which
 * copies pages in steps between which the engine keeps writing. Writes the engine makes
 * on the connection being backed up are carried into the copy as it goes; another
 * process's write restarts it.
 *
 * A backup is written under a temporary name, owner-only, and renamed once complete, so a
 * crash or a full disk never leaves a half copy that looks like a backup. It is a single
 * self-contained file (rollback journal, not WAL), so it can be copied, checked and
 * restored without a -wal beside it.
 */
import { closeSync, openSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite, { type Database } from 'better-sqlite3'
import { PRIVATE_FILE_MODE } from '../../../paths'

/** Pages copied per step by default: 100 pages (400 KiB at 4 KiB pages) take well under a millisecond. */
export const DEFAULT_STEP_PAGES = 100

const BACKUP_NAME = /^genops-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)\.db$/

/** A backup's name in `<dataDir>/backups`: a UTC timestamp down to the millisecond, sortable by name. */
export function backupName(now = new Date()): string {
  return `genops-${now.toISOString().replace(/[:.]/g, '-')}.db`
}

export interface BackupOptions {
  /** Pages per step; between steps the event loop runs. Default 100; the whole file in one step with Infinity. */
  stepPages?: number
  /** Asked between steps: true gives up (the engine is closing), and the partial copy is removed. */
  abandoned?: () => boolean
  nativeBinding?: string | undefined
}

export interface WrittenBackup {
  file: string
  bytes: number
}

/** Copies `db` into `file` (which must not exist yet); rejects, leaving nothing behind, when the copy fails. */
export async function backupDatabase(
  db: Database,
  file: string,
  { stepPages = DEFAULT_STEP_PAGES, abandoned, nativeBinding }: BackupOptions = {},
): Promise<WrittenBackup> {
  const partial = `${file}.partial`
  // Created first with the mode it keeps: SQLite would create it 0644.
  closeSync(openSync(partial, 'wx', PRIVATE_FILE_MODE))
  try {
    const pages = Number.isFinite(stepPages) ? Math.max(1, Math.floor(stepPages)) : 0x7fffffff
    await db.backup(partial, {
      progress: () => {
        if (abandoned?.()) throw new Error('the backup was abandoned: GenOps is closing')
        return pages
      },
    })
    selfContained(partial, nativeBinding)
    renameSync(partial, file)
    return { file, bytes: statSync(file).size }
  } catch (error) {
    for (const leftover of [partial, `${partial}-journal`]) unlinkQuietly(leftover)
    throw error
  }
}

/** The copy keeps the source's WAL flag in its header: set it back to a rollback journal, so no -wal is ever needed beside it. */
function selfContained(file: string, nativeBinding: string | undefined): void {
  const copy = new Sqlite(file, { fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) })
  try {
    copy.pragma('journal_mode = DELETE')
  } finally {
    copy.close()
  }
}

export interface BackupFile {
  file: string
  /** When it was made, from its name. */
  madeAt: number
  bytes: number
}

/** The backups in `dir` named as GenOps names them, newest first; other files are not ours to count or prune. */
export function listBackups(dir: string): BackupFile[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const backups: BackupFile[] = []
  for (const name of names) {
    const match = BACKUP_NAME.exec(name)
    if (!match) continue
    const madeAt = Date.parse(match[1]!.replace(/T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z$/, 'T$1:$2:$3.$4Z'))
    try {
      backups.push({ file: join(dir, name), madeAt, bytes: statSync(join(dir, name)).size })
    } catch {
      // Pruned by another process between the listing and the stat.
    }
  }
  return backups.sort((a, b) => b.madeAt - a.madeAt)
}

export interface RetentionLimits {
  /** Backups older than this are removed. */
  maxAgeMs: number
  /** At most this many are kept. */
  maxFiles: number
  /** Together they take at most this many bytes. */
  maxBytes: number
}

/**
 * Keeps the newest backups within the limits and removes every older one. The newest is
 * always kept, even past a limit: one backup too old or too large is better than none.
 */
export function pruneBackups(dir: string, limits: RetentionLimits, now = Date.now()): BackupFile[] {
  const backups = listBackups(dir)
  let bytes = 0
  const firstDropped = backups.findIndex((backup, index) => {
    bytes += backup.bytes
    return index > 0 && (now - backup.madeAt > limits.maxAgeMs || index + 1 > limits.maxFiles || bytes > limits.maxBytes)
  })
  const removed = firstDropped === -1 ? [] : backups.slice(firstDropped)
  for (const backup of removed) unlinkQuietly(backup.file)
  return removed
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}
