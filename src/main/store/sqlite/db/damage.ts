/**
 * A damaged database, named. The file's 100-byte header is checked before SQLite opens it,
 * and damage found then or later (SQLite's "database disk image is malformed") becomes one
 * error with the path and what to do, which every face shows in words.
 *
 * An empty or header-less genops.db beside the logs, artifacts or backups of earlier runs
 * is refused: SQLite would take an empty file for a new database, and the queue would
 * start over without a word.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { backupsDir } from '../../../paths'

/** Decides what happens next: no retry, no stack; the operator restores a backup or moves the file away. */
export class DatabaseDamagedError extends Error {
  override name = 'DatabaseDamagedError'
  readonly code = 'DATABASE_DAMAGED'

  constructor(
    readonly file: string,
    /** What is wrong, said after the path: "is truncated (...)". */
    readonly problem: string,
  ) {
    super(`${file} ${problem}: ${whatToDo(file)}`)
  }
}

export function whatToDo(file: string): string {
  return `restore a backup from ${backupsDir(dirname(file))} with \`genops restore FILE\`, or move ${basename(file)} away to start a new queue`
}

/** SQLite's own word for damage: SQLITE_CORRUPT (and its extended codes) or SQLITE_NOTADB. */
export function isDamage(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'))
}

/** The error to show for one SQLite raised on `file`: damage, named; anything else as it was. */
export function namedDamage(error: unknown, file: string): unknown {
  return isDamage(error) ? new DatabaseDamagedError(file, `is damaged (SQLite: ${(error as Error).message})`) : error
}

/** Problems shown on one line; a bundle's integrity.txt holds them all. */
const SHOWN_PROBLEMS = 3

/** The first problems SQLite names, on one line. */
export function damageSummary(problems: readonly string[]): string {
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((problem) => problem.replace(/\s+/g, ' ').trim())
  const more = problems.length - shown.length
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ')
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1')
const HEADER_BYTES = 100
/** Folders whose files show a data directory was used before. */
const TRACES_OF_USE = ['artifacts', 'logs', 'backups']

/**
 * Throws DatabaseDamagedError when `file` cannot be the queue it should be: empty in a
 * data directory used before, no SQLite header, a page size SQLite never writes, or
 * shorter than its pages (a truncated copy). A missing file, or an empty one in a new
 * directory, is a new queue. Reads 100 bytes: cheap enough for every open.
 */
export function checkDatabaseFile(file: string): void {
  const size = sizeOf(file)
  if (size === null) return
  if (size === 0) {
    const traces = tracesOfUse(dirname(file))
    if (traces.length === 0) return
    throw new DatabaseDamagedError(file, `is empty (0 bytes), yet ${traces.join(' and ')} in ${dirname(file)} show this queue was used before`)
  }
  const header = readHeader(file)
  if (header.length < HEADER_BYTES || !header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new DatabaseDamagedError(file, `is not a SQLite database (${size} bytes without the "SQLite format 3" header)`)
  }
  const pageSize = pageSizeOf(header)
  if (pageSize === null) throw new DatabaseDamagedError(file, `has a damaged header (page size ${header.readUInt16BE(16)})`)
  if (size % pageSize !== 0) throw new DatabaseDamagedError(file, `is truncated (${size} bytes is not a whole number of ${pageSize}-byte pages)`)
  // The page count in the header is trusted only when SQLite marked it current (offset 92
  // repeats the change counter), and a short file is normal while a WAL holds the pages.
  const pages = header.readUInt32BE(28)
  const countIsCurrent = header.readUInt32BE(24) === header.readUInt32BE(92)
  if (countIsCurrent && pages * pageSize > size && !sizeOf(`${file}-wal`)) {
    throw new DatabaseDamagedError(file, `is truncated (its header counts ${pages} pages, ${pages * pageSize} bytes, but the file holds ${size})`)
  }
}

/** A power of two from 512 to 65536; the header stores 65536 as 1. */
function pageSizeOf(header: Buffer): number | null {
  const raw = header.readUInt16BE(16)
  const size = raw === 1 ? 65_536 : raw
  return size >= 512 && (size & (size - 1)) === 0 ? size : null
}

function tracesOfUse(dir: string): string[] {
  return TRACES_OF_USE.filter((name) => {
    try {
      return readdirSync(join(dir, name)).length > 0
    } catch {
      return false
    }
  }).map((name) => `${name}/`)
}

function sizeOf(file: string): number | null {
  try {
    return statSync(file).size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

function readHeader(file: string): Buffer {
  const fd = openSync(file, 'r')
  try {
    const header = Buffer.alloc(HEADER_BYTES)
    return header.subarray(0, readSync(fd, header, 0, HEADER_BYTES, 0))
  } finally {
    closeSync(fd)
  }
}
