/**
 * Backups let a damaged queue be restored: `genops backup` (SQLite's online copy), damage,
 * `genops restore FILE` brings the jobs back with the damaged file kept aside. A restore is
 * refused while another process has the database open, and for a backup that is damaged
 * or not a GenOps queue, with nothing changed.
 */
import { readdirSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { checkIntegrity } from '../../src/main/store/sqlite/db/integrity'
import { databaseFile, INTEGRITY_THREAD_FILE } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'
import { queueWithJobs, writeGarbage } from './database-fixtures'

const JOBS = 3000
function queued(dataDir: string): number {
  const store = SqliteQueueStore.open(databaseFile(dataDir))
  try {
    return store.stats(Date.now()).counts.queued
  } finally {
    store.close()
  }
}
const integrity = async (file: string) => (await checkIntegrity(file, { threadFile: INTEGRITY_THREAD_FILE })).state

describe('backup, damage, restore', () => {
  it('brings every job back, and keeps the damaged database aside', async () => {
    const dataDir = tempDir()
    const file = queueWithJobs(dataDir, JOBS)

    const backup = genops(['backup', '--data-dir', dataDir])
    expect(backup.stderr).toBe('')
    expect(backup.status).toBe(0)
    const [, written, size] = /^wrote (\S+) \((.+)\)\n$/.exec(backup.stdout) ?? []
    expect(written).toMatch(
      new RegExp(`^${join(dataDir, 'backups').replace(/[/\\.]/g, '\\$&')}/genops-\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z\\.db$`),
    )
    expect(size).toMatch(/^\d+(\.\d)? (KiB|MiB)$/)
    expect(statSync(written!).mode & 0o777).toBe(0o600)
    // One self-contained file: nothing beside it is needed to restore it.
    expect(readdirSync(join(dataDir, 'backups'))).toEqual([basename(written!)])

    writeGarbage(file)
    expect(await integrity(file)).toBe('damaged')

    const restore = genops(['restore', written!, '--data-dir', dataDir])
    expect(restore.stderr).toBe('')
    expect(restore.status).toBe(0)
    const aside = readdirSync(dataDir).find((name) => name.startsWith('genops.db.before-restore-'))
    expect(aside).toBeDefined()
    expect(restore.stdout).toContain(`kept the current database as ${join(dataDir, aside!)}`)
    expect(restore.stdout).toContain(`restored ${written} to ${file}: ${JOBS} jobs, schema version `)

    expect(queued(dataDir)).toBe(JOBS)
    expect(await integrity(file)).toBe('sound')
    expect(await integrity(join(dataDir, aside!))).toBe('damaged')
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('writes --out where it is asked, and refuses to overwrite a file', () => {
    const dataDir = tempDir()
    queueWithJobs(dataDir, 100)
    const out = join(tempDir(), 'before-upgrade.db')
    const first = genops(['backup', '--out', out, '--data-dir', dataDir])
    expect(first.status).toBe(0)
    expect(first.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[/\\.]/g, '\\$&')} \\(`))
    const again = genops(['backup', '--out', out, '--data-dir', dataDir])
    expect(again.status).toBe(2)
    expect(again.stderr).toBe(`genops: ${out} exists already: choose another --out\n`)
  })
})

describe('a restore that is refused changes nothing', () => {
  it('while another process has the database open', () => {
    const dataDir = tempDir()
    queueWithJobs(dataDir, 100)
    const written = genops(['backup', '--data-dir', dataDir]).stdout.match(/^wrote (\S+)/)![1]!
    // This test process holds the queue open as an engine does, for as long as it runs.
    const engine = SqliteQueueStore.open(databaseFile(dataDir))
    try {
      const restore = genops(['restore', written, '--data-dir', dataDir])
      expect(restore.status).toBe(1)
      expect(restore.stderr).toBe(
        `genops: ${databaseFile(dataDir)} is open in another GenOps process (the app, \`genops serve\` or \`genops run\`): stop it, then restore\n`,
      )
    } finally {
      engine.close()
    }
    expect(readdirSync(dataDir).filter((name) => name.startsWith('genops.db.'))).toEqual([])
  })

  it('for a damaged backup', () => {
    const dataDir = tempDir()
    queueWithJobs(dataDir, 100)
    const damaged = queueWithJobs(tempDir(), JOBS)
    writeGarbage(damaged)
    const restore = genops(['restore', damaged, '--data-dir', dataDir])
    expect(restore.status).toBe(1)
    expect(restore.stderr).toMatch(new RegExp(`^genops: ${damaged.replace(/[/\\.]/g, '\\$&')} is damaged \\(.*page \\d+.*\\): choose another backup\\n$`))
    expect(readdirSync(dataDir).filter((name) => name.startsWith('genops.db.'))).toEqual([])
    expect(queued(dataDir)).toBe(100)
  })

  it('for a SQLite file that is not a GenOps queue', () => {
    const dataDir = tempDir()
    queueWithJobs(dataDir, 100)
    const other = join(tempDir(), 'notes.db')
    const db = new Sqlite(other)
    db.exec('CREATE TABLE notes (text TEXT)')
    db.close()
    const restore = genops(['restore', other, '--data-dir', dataDir])
    expect(restore.status).toBe(1)
    expect(restore.stderr).toBe(
      `genops: ${other} is a SQLite database but not a GenOps queue (it has no schema_migrations and jobs tables): choose another backup\n`,
    )
    expect(readdirSync(dataDir).filter((name) => name.startsWith('genops.db.'))).toEqual([])
    expect(queued(dataDir)).toBe(100)
  })
})
