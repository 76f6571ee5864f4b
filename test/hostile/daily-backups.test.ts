/**
 * A running engine's daily backups: one at start when the newest is over a day old, each
 * checked before older ones are pruned to 7 days, 7 files and a size cap; skipped with a
 * warning when the disk is low or the database is damaged.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { backupName, listBackups, pruneBackups } from '../../src/main/store/sqlite/db/backup'
import { startDailyBackups, type BackupsConfig, type DailyBackups } from '../../src/main/store/sqlite/db/daily-backups'
import { checkIntegrity, startIntegrityCheck } from '../../src/main/store/sqlite/db/integrity'
import { createEngine, type Engine } from '../../src/main/engine'
import { backupsDir, databaseFile, INTEGRITY_THREAD_FILE } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'
import { queueWithJobs, writeGarbage } from './database-fixtures'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const DAILY: BackupsConfig = { enabled: true, everyMs: DAY, keepMs: 7 * DAY, maxFiles: 7 }

/** Backups as earlier days left them, `hoursAgo` each, of `bytes` each. */
function seed(dir: string, now: number, hoursAgo: number[], bytes = 1000): string[] {
  mkdirSync(dir, { recursive: true })
  return hoursAgo.map((hours) => {
    const file = join(dir, backupName(new Date(now - hours * HOUR)))
    writeFileSync(file, Buffer.alloc(bytes))
    return file
  })
}

const names = (files: { file: string }[]) => files.map((backup) => backup.file)

describe('pruning backups', () => {
  const now = Date.parse('2030-03-10T04:00:00.000Z')

  it('removes those older than the age limit', () => {
    const dir = tempDir()
    const [today, yesterday, lastWeek, older] = seed(dir, now, [1, 25, 7 * 24 + 1, 9 * 24])
    expect(names(pruneBackups(dir, { maxAgeMs: 7 * DAY, maxFiles: 7, maxBytes: 1e9 }, now))).toEqual([lastWeek, older])
    expect(names(listBackups(dir))).toEqual([today, yesterday])
  })

  it('keeps at most the newest N', () => {
    const dir = tempDir()
    const files = seed(dir, now, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(names(pruneBackups(dir, { maxAgeMs: 7 * DAY, maxFiles: 7, maxBytes: 1e9 }, now))).toEqual(files.slice(7))
    expect(names(listBackups(dir))).toEqual(files.slice(0, 7))
  })

  it('keeps the newest within the size cap, and the newest one even past it', () => {
    const dir = tempDir()
    const files = seed(dir, now, [1, 2, 3, 4], 1000)
    expect(names(pruneBackups(dir, { maxAgeMs: 7 * DAY, maxFiles: 7, maxBytes: 2500 }, now))).toEqual(files.slice(2))
    expect(names(pruneBackups(dir, { maxAgeMs: 7 * DAY, maxFiles: 7, maxBytes: 10 }, now))).toEqual([files[1]])
    expect(names(listBackups(dir))).toEqual([files[0]])
  })

  it('leaves files it did not name alone', () => {
    const dir = tempDir()
    seed(dir, now, [1, 200])
    writeFileSync(join(dir, 'before-upgrade.db'), 'mine')
    pruneBackups(dir, { maxAgeMs: 7 * DAY, maxFiles: 7, maxBytes: 1e9 }, now)
    expect(readdirSync(dir)).toContain('before-upgrade.db')
  })
})

describe('daily backups of a running queue', () => {
  const running: { backups: DailyBackups; store: SqliteQueueStore }[] = []
  const engines: Engine[] = []
  afterEach(async () => {
    for (const { backups, store } of running.splice(0)) {
      await backups.stop()
      store.close()
    }
    await Promise.all(engines.splice(0).map((engine) => engine.close()))
  })

  /** Starts them on a real queue; resolves with the first line logged, info or warning. */
  function start(dataDir: string, { freeDiskBytes = (): number => 1e12 } = {}) {
    const file = databaseFile(dataDir)
    const store = SqliteQueueStore.open(file)
    let said!: (line: { level: 'info' | 'warn'; message: string }) => void
    const firstLine = new Promise<{ level: 'info' | 'warn'; message: string }>((resolve) => (said = resolve))
    const backups = startDailyBackups(DAILY, {
      db: store.db,
      dir: backupsDir(dataDir),
      integrity: startIntegrityCheck(file, { threadFile: INTEGRITY_THREAD_FILE }),
      freeDiskBytes,
      minFreeDiskBytes: 500 * 1024 * 1024,
      threadFile: INTEGRITY_THREAD_FILE,
      log: { info: (message) => said({ level: 'info', message }), warn: (message) => said({ level: 'warn', message }) },
    })
    running.push({ backups, store })
    return firstLine
  }

  it('makes one at start when the newest is over a day old, then prunes by age', async () => {
    const dataDir = tempDir()
    queueWithJobs(dataDir, 200)
    const [yesterday, , lastMonth] = seed(backupsDir(dataDir), Date.now(), [25, 6 * 24, 30 * 24])
    const line = await start(dataDir)
    expect(line).toMatchObject({ level: 'info', message: expect.stringMatching(/^backed up the database to .+ \(.+\); removed 1 older$/) })
    const [made, ...kept] = listBackups(backupsDir(dataDir))
    expect(kept.map((backup) => backup.file)).toEqual([yesterday, expect.any(String)])
    expect(kept.map((backup) => backup.file)).not.toContain(lastMonth)
    expect(Date.now() - made!.madeAt).toBeLessThan(HOUR)
    expect(statSync(made!.file).mode & 0o777).toBe(0o600)
    expect(await checkIntegrity(made!.file, { threadFile: INTEGRITY_THREAD_FILE })).toMatchObject({ state: 'sound' })
  })

  it('keeps seven files', async () => {
    const dataDir = tempDir()
    queueWithJobs(dataDir, 200)
    seed(backupsDir(dataDir), Date.now(), [25, 26, 27, 28, 29, 30, 31, 32, 33])
    expect(await start(dataDir)).toMatchObject({ level: 'info', message: expect.stringMatching(/; removed 3 older$/) })
    expect(listBackups(backupsDir(dataDir))).toHaveLength(7)
  })

  it('skips, with a warning, when the copy would take the disk below the floor', async () => {
    const dataDir = tempDir()
    queueWithJobs(dataDir, 200)
    // Above the floor by less than the database takes: the copy would cross it.
    const line = await start(dataDir, { freeDiskBytes: () => 500 * 1024 * 1024 + 1024 })
    expect(line).toEqual({
      level: 'warn',
      message: expect.stringMatching(/^the daily backup is skipped: a \d+\.\d KiB copy would leave less than the 500\.0 MiB floor free \(500\.0 MiB free\)$/),
    })
    expect(listBackups(backupsDir(dataDir))).toEqual([])
  })

  it('skips, with a warning, a damaged database: the backups already there stay', async () => {
    const dataDir = tempDir()
    writeGarbage(queueWithJobs(dataDir))
    const [lastGood] = seed(backupsDir(dataDir), Date.now(), [30 * 24])
    const line = await start(dataDir)
    expect(line).toEqual({ level: 'warn', message: expect.stringContaining(`the daily backup is skipped: ${databaseFile(dataDir)} is damaged`) })
    expect(names(listBackups(backupsDir(dataDir)))).toEqual([lastGood])
  })

  it('is on in every engine: a new data directory gets its first backup at start', async () => {
    const dataDir = tempDir()
    engines.push(await createEngine({ dataDir, threads: 1 }))
    const [first] = await waitFor(
      () => listBackups(backupsDir(dataDir)),
      (backups) => backups.length > 0,
      { what: 'the first daily backup' },
    )
    expect(statSync(first!.file).mode & 0o777).toBe(0o600)
  })
})
