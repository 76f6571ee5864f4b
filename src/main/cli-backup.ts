/**
 * `genops backup` and `genops restore FILE`. A backup is SQLite's online copy, safe while
 * the app or `genops serve` runs; a restore puts one in place while nothing runs, keeping
 * the database it replaces aside.
 */
import { existsSync, mkdirSync, unlinkSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import { CliError, common, print, printJson, type Common } from './cli-support'
import { backupDatabase, backupName } from './store/sqlite/db/backup'
import { openDatabase } from './store/sqlite/db/connection'
import { damageSummary, DatabaseDamagedError } from './store/sqlite/db/damage'
import { checkIntegrity } from './store/sqlite/db/integrity'
import { restoreDatabase, RestoreRefusedError } from './store/sqlite/db/restore'
import { refuseTeamStore } from './cli-store'
import { formatBytes } from './health/checks'
import { backupsDir, databaseFile, dataDir, INTEGRITY_THREAD_FILE, PRIVATE_DIR_MODE } from './paths'

export function addBackupCommands(program: Command): void {
  common(program.command('backup').description('copy the database, safely while GenOps runs, into <data dir>/backups (or --out FILE)'), true)
    .option('--out <file>', 'where to write the copy (default: <data dir>/backups/genops-<UTC time>.db)')
    .action(async (options: Common & { out?: string }) => {
      await refuseTeamStore(options.dataDir, options.store, '`genops backup`')
      const written = await backUp(dataDir(options.dataDir), options.out)
      if (options.json) printJson({ path: written.file, bytes: written.bytes })
      else print(`wrote ${written.file} (${formatBytes(written.bytes)})`)
    })

  common(program.command('restore').description('put a backup in place of the database, keeping the current one aside; refused while GenOps runs'), true)
    .argument('<file>', 'the backup, such as one in <data dir>/backups')
    .action(async (file: string, options: Common) => {
      await refuseTeamStore(options.dataDir, options.store, '`genops restore`')
      let restored
      try {
        restored = restoreDatabase(dataDir(options.dataDir), file)
      } catch (error) {
        if (error instanceof RestoreRefusedError) throw new CliError(error.message)
        throw error
      }
      if (options.json) printJson(restored)
      else {
        for (const aside of restored.keptAside) print(`kept the current ${aside.endsWith('-wal') ? 'write-ahead log' : 'database'} as ${aside}`)
        print(`restored ${resolve(file)} to ${restored.database}: ${restored.jobs} jobs, schema version ${restored.schemaVersion}`)
      }
    })
}

async function backUp(dir: string, out: string | undefined) {
  const file = out ? resolve(out) : join(backupsDir(dir), backupName())
  if (existsSync(file)) throw new CliError(`${file} exists already: choose another --out`, 2)
  if (!out) mkdirSync(backupsDir(dir), { recursive: true, mode: PRIVATE_DIR_MODE })
  else if (!existsSync(dirname(file))) throw new CliError(`the folder of ${file} does not exist`, 2)
  const db = openDatabase(databaseFile(dir))
  let written
  try {
    // This process has nothing else to do: the whole file in one step, so another process's writes cannot restart the copy midway.
    written = await backupDatabase(db, file, { stepPages: Infinity })
  } finally {
    db.close()
  }
  const verdict = await checkIntegrity(written.file, { threadFile: INTEGRITY_THREAD_FILE })
  if (verdict.state === 'damaged') {
    // A copy of damage is no backup: it is not left where it could be taken for one.
    unlinkSync(written.file)
    throw new DatabaseDamagedError(databaseFile(dir), `is damaged (${damageSummary(verdict.problems)}); no backup was written`)
  }
  return written
}
