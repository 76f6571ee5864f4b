/**
 * A running engine's automatic backups into `<dataDir>/backups`: one at start when the
 * newest is older than a day (or there is none), then daily. Each is checked with
 * quick_check on the integrity thread before older ones are pruned, so a bad copy never
 * pushes a good one out. Skipped, with a warning in the log, while the start-up check says
 * the database is damaged (a copy of damage is no backup) or when the copy would take the
 * free disk below the health floor.
 */
import { mkdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import type { Database } from 'better-sqlite3'
import { z } from 'zod'
import { formatBytes } from '../../../health/checks'
import { PRIVATE_DIR_MODE } from '../../../paths'
import { backupDatabase, backupName, listBackups, pruneBackups } from './backup'
import { damageSummary } from './damage'
import { startIntegrityCheck, type IntegrityCheck } from './integrity'
import { databaseSizeBytes } from './size'

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** After a skipped or failed backup, the next try: sooner than a day, not in a loop. */
const RETRY_MS = HOUR
/** setTimeout's longest delay. */
const MAX_DELAY_MS = 2 ** 31 - 1

export const BackupsConfig = z.object({
  /** Daily backups on (default). */
  enabled: z.boolean().default(true),
  /** How often. Default a day. */
  everyMs: z.number().int().positive('backups.everyMs must be a positive integer').default(DAY),
  /** Backups older than this are removed. Default 7 days. */
  keepMs: z
    .number()
    .int()
    .positive('backups.keepMs must be a positive integer')
    .default(7 * DAY),
  /** At most this many are kept. Default 7. */
  maxFiles: z.number().int().min(1, 'backups.maxFiles must be at least 1').default(7),
  /** At most this many bytes together. Default: 8 times the database's size at each backup (7 copies and room to grow). */
  maxBytes: z.number().int().positive('backups.maxBytes must be a positive number of bytes').optional(),
})
export type BackupsConfig = z.output<typeof BackupsConfig>

export interface DailyBackupParts {
  db: Database
  dir: string
  /** The start-up quick_check: backups wait for its answer. */
  integrity: IntegrityCheck
  freeDiskBytes(): number
  minFreeDiskBytes: number
  threadFile: string
  nativeBinding?: string | undefined
  log: { info(message: string): void; warn(message: string): void }
  now?: () => number
}

export interface DailyBackups {
  /** No more backups; one in flight is abandoned between steps and its partial copy removed. */
  stop(): Promise<void>
}

export function startDailyBackups(config: BackupsConfig, parts: DailyBackupParts): DailyBackups {
  const now = parts.now ?? Date.now
  let closing = false
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> = Promise.resolve()
  let verifying: IntegrityCheck | null = null
  let closed!: () => void
  // Closing does not wait for a start-up check still reading a large file.
  const closedSignal = new Promise<void>((resolve) => (closed = resolve))

  const schedule = (delayMs: number) => {
    if (closing || !config.enabled) return
    timer = setTimeout(run, Math.min(Math.max(0, delayMs), MAX_DELAY_MS))
    timer.unref()
  }
  const run = () => {
    inFlight = backUp().then(
      (made) => schedule(made ? config.everyMs : Math.min(RETRY_MS, config.everyMs)),
      (error: unknown) => {
        if (!closing) parts.log.warn(`the daily backup failed: ${error instanceof Error ? error.message : String(error)}; next try in an hour`)
        schedule(Math.min(RETRY_MS, config.everyMs))
      },
    )
  }

  /** True when a backup was made and kept. */
  const backUp = async (): Promise<boolean> => {
    const { file } = parts.integrity
    await Promise.race([parts.integrity.done, closedSignal])
    if (closing) return false
    const integrity = parts.integrity.current()
    if (integrity.state === 'damaged') {
      parts.log.warn(`the daily backup is skipped: ${file} is damaged, and the backups already in ${parts.dir} are kept as they are`)
      return false
    }
    const size = databaseSizeBytes(parts.db)
    const free = parts.freeDiskBytes()
    if (free - size < parts.minFreeDiskBytes) {
      parts.log.warn(
        `the daily backup is skipped: a ${formatBytes(size)} copy would leave less than the ${formatBytes(parts.minFreeDiskBytes)} floor free (${formatBytes(free)} free)`,
      )
      return false
    }
    mkdirSync(parts.dir, { recursive: true, mode: PRIVATE_DIR_MODE })
    const written = await backupDatabase(parts.db, join(parts.dir, backupName(new Date(now()))), {
      abandoned: () => closing,
      nativeBinding: parts.nativeBinding,
    })
    verifying = startIntegrityCheck(written.file, { threadFile: parts.threadFile, nativeBinding: parts.nativeBinding })
    const verdict = await Promise.race([verifying.done, closedSignal.then(() => null)])
    verifying = null
    if (verdict === null || verdict.state !== 'sound') {
      // A copy not known to be sound never counts as the newest backup.
      unlinkSync(written.file)
      if (verdict === null) return false
      const why = verdict.state === 'damaged' ? damageSummary(verdict.problems) : verdict.state === 'unknown' ? verdict.reason : verdict.state
      parts.log.warn(`the daily backup ${written.file} did not pass quick_check (${why}): removed, and older backups kept`)
      return false
    }
    const removed = pruneBackups(parts.dir, { maxAgeMs: config.keepMs, maxFiles: config.maxFiles, maxBytes: config.maxBytes ?? 8 * size }, now())
    parts.log.info(`backed up the database to ${written.file} (${formatBytes(written.bytes)})${removed.length > 0 ? `; removed ${removed.length} older` : ''}`)
    return true
  }

  const newest = listBackups(parts.dir)[0]
  schedule(newest ? newest.madeAt + config.everyMs - now() : 0)

  return {
    async stop() {
      closing = true
      closed()
      clearTimeout(timer)
      verifying?.stop()
      await inFlight
    },
  }
}
