/**
 * Real queues to damage: a genops.db with jobs written through the store, then hurt the
 * ways disks and people hurt files (garbage in the middle, truncation, zero bytes).
 */
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { toNewJob } from '../../src/main/operations'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'

export const GARBAGE_BYTES = 64 * 1024

/**
 * A paused queue of `count` jobs in `dir`, closed, its WAL copied back into the file so the
 * file alone holds every page. Paused: an engine opened on it later claims nothing.
 */
export function queueWithJobs(dir: string, count = 3000): string {
  const file = databaseFile(dir)
  const store = SqliteQueueStore.open(file)
  const now = Date.now()
  store.enqueue(
    Array.from({ length: count }, (_, i) => toNewJob({ prompt: `prompt ${i}: ${'summarise the quarterly report. '.repeat(4)}` }, {}, now)),
    'fixture',
    now,
  )
  store.setPaused(true)
  store.db.pragma('wal_checkpoint(TRUNCATE)')
  store.close()
  return file
}

/** 64 KB of random bytes over the middle of the file, on a page boundary past the first pages (the schema stays readable). */
export function writeGarbage(file: string): void {
  const size = statSync(file).size
  const offset = Math.floor(size / 2 / 4096) * 4096
  if (offset < 8 * 4096) throw new Error(`${file} is too small (${size} bytes) to damage past its first pages`)
  const fd = openSync(file, 'r+')
  try {
    writeSync(fd, randomBytes(GARBAGE_BYTES), 0, GARBAGE_BYTES, offset)
  } finally {
    closeSync(fd)
  }
}

/** The first job whose row lies on a damaged page: reading it fails with SQLITE_CORRUPT. */
export function damagedJobId(file: string, count = 3000): number {
  const db = new Sqlite(file, { readonly: true })
  try {
    const read = db.prepare('SELECT * FROM jobs WHERE id = ?')
    for (let id = 1; id <= count; id += 1) {
      try {
        read.get(id)
      } catch {
        return id
      }
    }
    throw new Error(`no job of ${file} lies on a damaged page`)
  } finally {
    db.close()
  }
}

/** What an engine leaves in a data directory it ran in: a log file. */
export function markUsed(dir: string): void {
  mkdirSync(join(dir, 'logs'), { recursive: true })
  writeFileSync(join(dir, 'logs', 'genops.1.log'), '{"level":"info","msg":"engine started"}\n')
}
