/**
 * THE test for "the disk refused a write": the one place that knows which error codes mean
 * the data directory's disk is full or failing, used by the workers (an artifact write) and
 * by the engine (the database, the log). What follows from it lives in main/health/disk-full.
 */

/**
 * Node's errno codes and better-sqlite3's SQLite codes for a write that found no room, or
 * that the disk failed (EIO; SQLite reports both as SQLITE_FULL or an SQLITE_IOERR_*, such
 * as SQLITE_IOERR_SHMSIZE when even the WAL index cannot grow). EIO is counted with them:
 * what an operator does about it (free or fix the disk) and what the engine does (wait,
 * retry) are the same.
 */
const ERRNO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO'])

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null

/** The code by which `error` (or one of its causes) says the disk refused a write; null for any other failure. */
export function diskFullCode(error: unknown): string | null {
  let current = error
  for (let depth = 0; depth < 5 && isObject(current); depth += 1) {
    const code = current.code
    if (typeof code === 'string' && (ERRNO_CODES.has(code) || code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR'))) return code
    current = current.cause
  }
  return null
}
