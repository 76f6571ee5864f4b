/**
 * The data directory is the owner's alone: created 0700 (an older, more open one of ours
 * tightened), and the database with its WAL, the logs, the bundles and the backups 0600.
 */
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { listBackups } from '../../src/main/store/sqlite/db/backup'
import { createEngine, type Engine } from '../../src/main/engine'
import { backupsDir, databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const mode = (path: string) => statSync(path).mode & 0o777

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()))
})

describe.skipIf(process.platform === 'win32')('file modes', () => {
  it('creates the data directory 0700 and every file the engine writes there 0600', async () => {
    const dataDir = join(tempDir(), 'GenOps')
    const engine = await createEngine({ dataDir, threads: 1 })
    engines.push(engine)
    await engine.call('enqueueJobs', { jobs: [{ prompt: 'hello' }] })
    const bundle = await engine.call('exportBundle', {})
    const [backup] = await waitFor(
      () => listBackups(backupsDir(dataDir)),
      (backups) => backups.length > 0,
      { what: 'the first daily backup' },
    )

    expect(mode(dataDir)).toBe(0o700)
    const db = databaseFile(dataDir)
    for (const file of [db, `${db}-wal`, `${db}-shm`]) expect({ file, mode: mode(file) }).toEqual({ file, mode: 0o600 })
    expect(mode(join(dataDir, 'logs'))).toBe(0o700)
    const logs = readdirSync(join(dataDir, 'logs'))
    expect(logs.length).toBeGreaterThan(0)
    for (const name of logs) expect({ name, mode: mode(join(dataDir, 'logs', name)) }).toEqual({ name, mode: 0o600 })
    expect(mode(bundle.path)).toBe(0o600)
    expect(mode(join(dataDir, 'bundles'))).toBe(0o700)
    expect(mode(backup!.file)).toBe(0o600)
    expect(mode(backupsDir(dataDir))).toBe(0o700)
  })

  it('tightens a data directory of ours left open by an older GenOps, and its database', () => {
    const dataDir = join(tempDir(), 'GenOps')
    SqliteQueueStore.open(databaseFile(dataDir)).close()
    chmodSync(dataDir, 0o755)
    chmodSync(databaseFile(dataDir), 0o644)

    SqliteQueueStore.open(databaseFile(dataDir)).close()
    expect(mode(dataDir)).toBe(0o700)
    expect(mode(databaseFile(dataDir))).toBe(0o600)
  })

  it('leaves alone the mode of a directory that holds other things, and still makes the database 0600', () => {
    const shared = join(tempDir(), 'projects')
    mkdirSync(shared)
    chmodSync(shared, 0o755)
    writeFileSync(join(shared, 'notes.txt'), 'not GenOps')

    SqliteQueueStore.open(databaseFile(shared)).close()
    SqliteQueueStore.open(databaseFile(shared)).close()
    expect(mode(shared)).toBe(0o755)
    expect(mode(databaseFile(shared))).toBe(0o600)
  })
})
