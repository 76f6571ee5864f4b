/**
 * `genops restore FILE`: a backup put in place of the database. Refused while another
 * process has the database open (an engine holds its connection, and so a lock on the file,
 * for as long as it runs); the backup is checked on a copy in the data directory first
 * (a sound SQLite file, a GenOps schema this build knows); the current database, with its
 * WAL, is kept aside under a dated name, never deleted.
 */
import { chmodSync, copyFileSync, existsSync, renameSync, statSync, unlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Sqlite from 'better-sqlite3'
import { databaseFile, ensureDataDir, PRIVATE_FILE_MODE } from '../../../paths'
import { checkDatabaseFile, damageSummary, DatabaseDamagedError, isDamage } from './damage'
import { loadMigrations } from './migrate'
import { quickCheck } from './quick-check'

/** The restore did not happen, and why; nothing was changed. */
export class RestoreRefusedError extends Error {
  override name = 'RestoreRefusedError'
  readonly code = 'RESTORE_REFUSED'
}

export interface Restored {
  /** The database file now in place. */
  database: string
  /** Where the database that was there went (with its -wal), if there was one. */
  keptAside: string[]
  jobs: number
  schemaVersion: number
}

const stamp = (now: Date) => now.toISOString().replace(/[:.]/g, '-')

export function restoreDatabase(dataDir: string, backup: string, { now = new Date(), nativeBinding }: { now?: Date; nativeBinding?: string } = {}): Restored {
  const source = resolve(backup)
  const database = databaseFile(resolve(dataDir))
  if (source === database) throw new RestoreRefusedError(`${source} is the database itself: name a backup, such as one in ${join(resolve(dataDir), 'backups')}`)
  if (!existsSync(source)) throw new RestoreRefusedError(`${source} does not exist`)
  if (statSync(source).size === 0) throw new RestoreRefusedError(`${source} is empty: it is no backup`)
  try {
    checkDatabaseFile(source)
  } catch (error) {
    if (error instanceof DatabaseDamagedError) throw new RestoreRefusedError(`${source} ${error.problem}: choose another backup`)
    throw error
  }
  if (databaseInUse(database, nativeBinding)) {
    throw new RestoreRefusedError(`${database} is open in another GenOps process (the app, \`genops serve\` or \`genops run\`): stop it, then restore`)
  }

  ensureDataDir(resolve(dataDir))
  // Checked on a copy beside the database, so the backup itself is never written to and
  // the swap below is a rename within one directory.
  const staging = `${database}.restoring-${stamp(now)}`
  let found: { jobs: number; schemaVersion: number }
  try {
    copyFileSync(source, staging)
    // copyFile keeps the backup's mode; the database is owner-only whatever the backup was.
    chmodSync(staging, PRIVATE_FILE_MODE)
    if (existsSync(`${source}-wal`)) copyFileSync(`${source}-wal`, `${staging}-wal`)
    found = checkCopy(staging, source, nativeBinding)
  } catch (error) {
    for (const file of [staging, `${staging}-wal`, `${staging}-shm`]) removeQuietly(file)
    throw error
  }

  const keptAside: string[] = []
  const aside = `${database}.before-restore-${stamp(now)}`
  for (const suffix of ['', '-wal']) {
    if (!existsSync(`${database}${suffix}`)) continue
    renameSync(`${database}${suffix}`, `${aside}${suffix}`)
    keptAside.push(`${aside}${suffix}`)
  }
  // The shared-memory index belongs to the WAL just moved aside; SQLite rebuilds it.
  removeQuietly(`${database}-shm`)
  renameSync(staging, database)
  return { database, keptAside, ...found }
}

/**
 * True while another connection has the file open. In WAL mode every open connection
 * holds a shared lock on the database file, so an exclusive lock is refused at once.
 * A file that cannot be read at all (empty, no header) is not held by any engine: each
 * refuses to open one.
 */
export function databaseInUse(file: string, nativeBinding?: string): boolean {
  if (!existsSync(file)) return false
  let db: Sqlite.Database | undefined
  try {
    db = new Sqlite(file, { fileMustExist: true, timeout: 0, ...(nativeBinding ? { nativeBinding } : {}) })
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
    db.exec('ROLLBACK')
    return false
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
  } finally {
    db?.close()
  }
}

/** A sound SQLite file holding a GenOps queue this build can open; folded into one file (any WAL copied in). */
function checkCopy(file: string, source: string, nativeBinding: string | undefined): { jobs: number; schemaVersion: number } {
  const refuse = (problem: string) => new RestoreRefusedError(`${source} ${problem}: choose another backup`)
  let db: Sqlite.Database | undefined
  try {
    db = new Sqlite(file, { fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) })
    const problems = quickCheck(db, 10)
    if (problems.length > 0) throw refuse(`is damaged (${damageSummary(problems)})`)
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('schema_migrations', 'jobs')").pluck().all()
    if (tables.length !== 2) throw refuse('is a SQLite database but not a GenOps queue (it has no schema_migrations and jobs tables)')
    const schemaVersion = (db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null) ?? 0
    const newest = loadMigrations().at(-1)?.version ?? 0
    if (schemaVersion > newest) throw refuse(`was written by a newer GenOps (schema version ${schemaVersion}; this build knows up to ${newest})`)
    const jobs = db.prepare('SELECT count(*) FROM jobs').pluck().get() as number
    db.pragma('journal_mode = DELETE')
    return { jobs, schemaVersion }
  } catch (error) {
    if (isDamage(error)) throw refuse(`is damaged (SQLite: ${(error as Error).message})`)
    throw error
  } finally {
    db?.close()
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
}
