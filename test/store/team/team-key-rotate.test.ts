/**
 * `genops team-key rotate`: on a team store, every profile key sealed with the team key in use
 * is resealed with a new one, all or none; a key one machine's keychain sealed is left as it
 * was and named; engines given the new key send the keys, and a rotation that cannot open a
 * key, or is given the key in use, changes nothing.
 */
import pg from 'pg'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { keyBinding } from '../../../src/main/secret-box'
import { teamKeyBox } from '../../../src/main/team-key'
import { genopsAsync } from '../../support/cli'
import { startFakeOpenAI } from '../../support/fake-openai'
import { freePort } from '../../support/ports'
import { postgresServer } from '../../support/postgres'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'

const server = await postgresServer()
const KEYS = { alpha: 'sk-alpha-0123456789abcdef', beta: 'sk-beta-0123456789abcdef' }

describe.skipIf(!server)('genops team-key rotate', () => {
  it('reseals every team-sealed key with the new key, all at once, and engines given the new key send them', { timeout: 120_000 }, async () => {
    const fake = await startFakeOpenAI({ text: 'Rotated answer.' })
    onTestFinished(() => fake.close())
    const url = await server!.freshDatabase()
    const dataDir = tempDir()
    const [oldKey, newKey] = [teamKeyFile(), teamKeyFile()]
    const old = { GENOPS_TEAM_KEY_FILE: oldKey }
    const on = (...args: string[]) => [...args, '--store', url, '--data-dir', dataDir]
    for (const [name, key] of Object.entries(KEYS)) {
      const add = on('providers', 'add', name, '--provider', 'openai', '--base-url', fake.url, '--model', 'gpt-test', '--api-key-stdin')
      expect((await genopsAsync(add, old, `${key}\n`)).status).toBe(0)
    }
    expect((await genopsAsync(on('providers', 'add', 'desktop-only', '--provider', 'openai'))).status).toBe(0)
    const db = new pg.Pool({ connectionString: url, max: 1 })
    db.on('error', () => undefined)
    onTestFinished(() => db.end())
    // A key sealed by a desktop's keychain before the store was a team's: not the team key's to reseal.
    await db.query(`UPDATE provider_profiles SET secret = $1 WHERE name = 'desktop-only'`, [Buffer.from('v10 sealed by a keychain')])
    const secrets = async () =>
      new Map(
        (await db.query<{ name: string; secret: Buffer }>('SELECT name, secret FROM provider_profiles ORDER BY name')).rows.map((row) => [
          row.name,
          row.secret,
        ]),
      )
    const before = await secrets()

    // The key in use given as the new one, and a rotation without the old key: refused, nothing changed.
    const same = await genopsAsync(on('team-key', 'rotate', oldKey), old)
    expect(same.status).toBe(2)
    expect(same.stderr).toMatch(/the new team key is the one in use: make a new one with `openssl rand -base64 32 > team.key/)
    const keyless = await genopsAsync(on('team-key', 'rotate', newKey))
    expect(keyless.stderr).toMatch(/no team key is in use here to open the keys with/)
    expect(await secrets()).toEqual(before)

    const rotated = await genopsAsync(on('team-key', 'rotate', newKey), old)
    expect(rotated.stderr).toBe('')
    expect(rotated.stdout).toBe(
      [
        `resealed the API keys of 2 profiles with the team key in ${newKey}: alpha, beta`,
        `give every engine this file as its team key and restart it (here: \`genops settings set teamKeyFile ${newKey}\`); until then an engine with the old key holds those profiles' jobs`,
        "desktop-only: its key was sealed by one machine's keychain, not the team key: left as it was",
        '',
      ].join('\n'),
    )
    const after = await secrets()
    expect(after.get('desktop-only')).toEqual(before.get('desktop-only'))
    for (const [name, key] of Object.entries(KEYS)) {
      const bound = keyBinding({ name, provider: 'openai', baseUrl: fake.url })
      expect(teamKeyBox(newKey).decrypt(after.get(name)!, bound)).toBe(key)
      expect(() => teamKeyBox(oldKey).decrypt(after.get(name)!, bound)).toThrow(/another team key/)
    }

    // The old key opens none of them now: a second rotation with it is refused whole, naming each profile.
    const again = await genopsAsync(on('team-key', 'rotate', teamKeyFile()), old)
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/no key was resealed: profile alpha: it was sealed with another team key than this engine has; profile beta: /)
    expect(await secrets()).toEqual(after)

    // An engine given the new key sends each profile's own key.
    const jobs = join(tempDir(), 'jobs.jsonl')
    writeFileSync(jobs, '{"prompt":"one","provider":"alpha"}\n{"prompt":"two","provider":"beta"}\n')
    expect((await genopsAsync(on('enqueue', jobs))).status).toBe(0)
    const run = await genopsAsync(on('run', '--until-empty', '--metrics-port', String(await freePort())), { GENOPS_TEAM_KEY_FILE: newKey })
    expect(run.status).toBe(0)
    expect(fake.requests.map((request) => request.headers.authorization).sort()).toEqual([`Bearer ${KEYS.alpha}`, `Bearer ${KEYS.beta}`])
  })
})
