/**
 * How much disk the database takes: its pages as SQLite counts them (free pages included,
 * until a VACUUM) and its write-ahead log, which grows between checkpoints and can
 * outgrow the file itself under a heavy write load.
 */
import { statSync } from 'node:fs'
import type { Database } from './connection'

export function databaseSizeBytes(db: Database): number {
  const pages = db.pragma('page_count', { simple: true }) as number
  const pageSize = db.pragma('page_size', { simple: true }) as number
  return pages * pageSize + walBytes(`${db.name}-wal`)
}

function walBytes(file: string): number {
  try {
    return statSync(file).size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
}
