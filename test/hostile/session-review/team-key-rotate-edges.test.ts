/**
 * Hostile: `genops team-key rotate NEW_FILE` as an operator rotating after a leak meets it.
 * A profile whose row no longer parses but whose key the leaked team key sealed is left
 * sealed with the leaked key, and the rotation calls it a keychain's key and reports
 * success; a profile whose key another process saves while the rotation waits on its row
 * stops the rotation (rightly) but the operator gets a stack trace, not the one line that
 * says to run it again; and `--server` on a machine without the team key sends the operator
 * to set a team key there, when the command never works with --server at all.
 */
import pg from 'pg'
import { describe, expect, it, onTestFinished } from 'vitest'
import { keyBinding } from '../../../src/main/secret-box'
import { teamKeyBox } from '../../../src/main/team-key'
import { genopsAsync } from '../../support/cli'
import { postgresServer } from '../../support/postgres'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'
import { waitFor } from '../../support/wait'

const server = await postgresServer()
const BASE = 'http://127.0.0.1:9/v1'

async function teamStoreWithKeys(names: string[]) {
  const url = await server!.freshDatabase()
  const dataDir = tempDir()
  const oldKey = teamKeyFile()
  const old = { GENOPS_TEAM_KEY_FILE: oldKey }
  const on = (...args: string[]) => [...args, '--store', url, '--data-dir', dataDir]
  for (const name of names) {
    const add = on('providers', 'add', name, '--provider', 'openai', '--base-url', BASE, '--model', 'gpt-test', '--api-key-stdin')
    expect((await genopsAsync(add, old, `sk-${name}-0123456789abcdef\n`)).status).toBe(0)
  }
  const db = new pg.Pool({ connectionString: url, max: 2 })
  db.on('error', () => undefined)
  onTestFinished(() => db.end())
  return { url, on, old, oldKey, db }
}

describe.skipIf(!server)('genops team-key rotate after a leak', () => {
  it('refuses, rather than leave a damaged profile key sealed with the leaked team key and call it a keychain key', { timeout: 120_000 }, async () => {
    const { on, old, oldKey, db } = await teamStoreWithKeys(['alpha', 'broken'])
    // The row no longer parses (a newer engine's settings, a hand edit): its team-sealed key is still there.
    await db.query(`UPDATE provider_profiles SET settings = 'not json' WHERE name = 'broken'`)
    const rotated = await genopsAsync(on('team-key', 'rotate', teamKeyFile()), old)
    const { rows } = await db.query<{ secret: Buffer }>(`SELECT secret FROM provider_profiles WHERE name = 'broken'`)
    const bound = keyBinding({ name: 'broken', provider: 'openai', baseUrl: BASE })
    const leakedKeyStillOpensIt = (() => {
      try {
        return teamKeyBox(oldKey).decrypt(rows[0]!.secret, bound) === 'sk-broken-0123456789abcdef'
      } catch {
        return false
      }
    })()
    // Refused whole, saying why, rather than reported done with a key the leaked team key still opens.
    expect(rotated.status).toBe(2)
    expect(rotated.stderr).toMatch(/no key was resealed: profile broken: its settings do not parse here, so its key cannot be resealed/)
    expect(leakedKeyStillOpensIt).toBe(true)
    expect(rotated.stdout).not.toMatch(/broken: its key was sealed by one machine's keychain/)
  })

  it('says in one line, without a stack trace, that a key saved meanwhile stopped the rotation', { timeout: 120_000 }, async () => {
    const { url, on, old, db } = await teamStoreWithKeys(['alpha', 'beta'])
    const before = (await db.query<{ name: string; secret: Buffer }>('SELECT name, secret FROM provider_profiles ORDER BY name')).rows
    // Another process is saving beta's key: its transaction holds the row while the rotation reads and writes.
    const saver = new pg.Client({ connectionString: url })
    await saver.connect()
    onTestFinished(() => saver.end())
    await saver.query('BEGIN')
    await saver.query(`SELECT 1 FROM provider_profiles WHERE name = 'beta' FOR UPDATE`)
    const rotation = genopsAsync(on('team-key', 'rotate', teamKeyFile()), old)
    await waitFor(
      async () => (await db.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE provider_profiles SET secret%'`)).rowCount,
      (count) => (count ?? 0) > 0,
      { what: 'the rotation to wait on the row being saved' },
    )
    await saver.query(`UPDATE provider_profiles SET secret = $1 WHERE name = 'beta'`, [Buffer.from('v10 saved meanwhile')])
    await saver.query('COMMIT')
    const result = await rotation
    expect(result.status).not.toBe(0)
    const after = (await db.query<{ name: string; secret: Buffer }>('SELECT name, secret FROM provider_profiles ORDER BY name')).rows
    expect(after[0]!.secret).toEqual(before[0]!.secret) // alpha: none or all
    expect(result.stderr).toBe('genops: the API key of profile "beta" changed while the keys were resealed: nothing was changed, run it again\n')
  })

  it('refuses --server for what it is, not for a missing team key on this machine', { timeout: 60_000 }, async () => {
    const remote = ['--server', 'http://127.0.0.1:9', '--token', 'a-token-of-16-chars-or-more']
    const result = await genopsAsync([...remote, 'team-key', 'rotate', teamKeyFile(), '--data-dir', tempDir()])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/does not work with --server/)
  })
})
