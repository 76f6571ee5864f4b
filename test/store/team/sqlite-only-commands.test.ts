/**
 * Commands that take --store (cli-support common): each acts on the team store named (by the
 * flag, GENOPS_STORE or settings.json) or refuses in one line; none touches (or creates) a
 * local genops.db instead (a hostile review found backup, restore and `regressions run` did).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { genopsAsync } from '../../support/cli'
import { freePort } from '../../support/ports'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()

describe.skipIf(!server)('commands that ignore the team store', () => {
  it('`genops backup --store URL` does not back up an unrelated, newly created SQLite file', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const dataDir = tempDir()
    const backup = await genopsAsync(['backup', '--store', url, '--data-dir', dataDir])
    // Today: "wrote <dataDir>/backups/genops-….db (316 KiB)", exit 0, and a fresh empty genops.db made to copy.
    expect(backup.stdout).not.toMatch(/^wrote /)
    expect(existsSync(join(dataDir, 'genops.db'))).toBe(false)
    expect(backup.status).not.toBe(0)
    expect(backup.stderr).toMatch(/PostgreSQL|server/)
  })

  it('GENOPS_STORE and settings.json are ignored by backup too', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const byVariable = tempDir()
    const byFile = tempDir()
    writeFileSync(join(byFile, 'settings.json'), JSON.stringify({ store: url }))
    const [variable, file] = await Promise.all([
      genopsAsync(['backup', '--data-dir', byVariable], { GENOPS_STORE: url }),
      genopsAsync(['backup', '--data-dir', byFile]),
    ])
    for (const result of [variable, file]) expect(result.stdout).not.toMatch(/^wrote /)
    expect(existsSync(join(byVariable, 'genops.db'))).toBe(false)
    expect(existsSync(join(byFile, 'genops.db'))).toBe(false)
  })

  it('`genops restore FILE --store URL` does not replace the local SQLite file and report success', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const local = tempDir()
    const file = join(tempDir(), 'copy.db')
    expect((await genopsAsync(['backup', '--data-dir', local, '--out', file])).status).toBe(0)
    const dataDir = tempDir()
    const restored = await genopsAsync(['restore', file, '--store', url, '--data-dir', dataDir])
    // Today: "restored copy.db to <dataDir>/genops.db: 0 jobs", exit 0; the team's queue is untouched.
    expect(restored.stdout).not.toMatch(/^restored /)
    expect(existsSync(join(dataDir, 'genops.db'))).toBe(false)
    expect(restored.status).not.toBe(0)
  })

  it('`genops regressions run --store URL` runs its engine on the team store, not on the SQLite file', { timeout: 90_000 }, async () => {
    const port = await freePort()
    const dataDir = tempDir()
    const run = await genopsAsync(['regressions', 'run', '--store', `postgres://team:hunter2secret@127.0.0.1:${port}/queue`, '--data-dir', dataDir])
    // Today: "there are no regression cases: pin a flagged failure group first", read from a new local genops.db.
    expect(run.stderr).toContain(`postgres://team:***@127.0.0.1:${port}/queue`)
    expect(existsSync(join(dataDir, 'genops.db'))).toBe(false)
  })
})
