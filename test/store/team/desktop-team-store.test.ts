/**
 * The desktop app on a team store: settings.json's `store` points the built shell (on the fake
 * Electron) at the team's PostgreSQL queue instead of its own SQLite file. Without the team key
 * it says at start that it keeps no API keys there, before anyone saves one; given the team key,
 * a key saved from its window is sealed with it in the team's database, never in the clear.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { databaseFile } from '../../../src/main/paths'
import { driveKeys, notices, shellBuilt } from '../../support/desktop-shell'
import { postgresServer } from '../../support/postgres'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'

const server = await postgresServer()
const API_KEY = 'sk-team-desktop-0123456789abcdef'

function settings(dataDir: string, values: Record<string, unknown>): void {
  writeFileSync(join(dataDir, 'settings.json'), JSON.stringify(values), { mode: 0o600 })
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const db = new pg.Pool({ connectionString: url, max: 1 })
  db.on('error', () => undefined)
  onTestFinished(() => db.end())
  return (await db.query<T>(text)).rows
}

describe.runIf(shellBuilt && process.platform === 'linux' && server !== null)('the desktop app on a team store', () => {
  it('works on the team queue, and says at start that without the team key it keeps no API keys', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const dataDir = tempDir()
    settings(dataDir, { store: url })
    const { shown, saved, listed, stderr } = await driveKeys(dataDir, 'gnome_libsecret', API_KEY)
    const why = /^GenOps works on a team store without the team key: it keeps no API keys/
    expect(notices(shown)).toEqual([{ level: 'warning', message: expect.stringMatching(why), at: expect.any(Number) }])
    expect(stderr).toMatch(/genops: GenOps works on a team store without the team key/)
    expect(saved.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('give each engine the same team key') })
    expect(listed.value!.profiles).toEqual([])
    // The team's queue, not a file of its own: the desktop engine is on the team's Workers table.
    expect(existsSync(databaseFile(dataDir))).toBe(false)
    const workers = await query<{ pid: number }>(url, 'SELECT pid FROM workers')
    expect(workers).toHaveLength(1)
  })

  it('keeps a key saved from its window sealed with the team key in the team database', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const dataDir = tempDir()
    settings(dataDir, { store: url, teamKeyFile: teamKeyFile() })
    const { shown, saved, listed } = await driveKeys(dataDir, 'gnome_libsecret', API_KEY)
    expect(notices(shown)).toEqual([])
    expect(saved.error).toBeUndefined()
    expect(listed.value!.profiles).toMatchObject([{ name: 'work', hasKey: true }])
    const [profile] = await query<{ secret: Buffer }>(url, `SELECT secret FROM provider_profiles WHERE name = 'work'`)
    expect(profile!.secret.subarray(0, 4).toString()).toBe('GTK1')
    expect(profile!.secret.includes(API_KEY)).toBe(false)
  })
})
