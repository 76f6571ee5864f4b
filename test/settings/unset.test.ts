/**
 * `genops settings unset`: a setting leaves settings.json or the store, and comes again from
 * a flag, a variable or its default. Real data directories and the real CLI process.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SettingRow } from '../../src/shared/settings'
import { databaseFile } from '../../src/main/paths'
import { SqliteQueueStore } from '../../src/main/store/sqlite/queue'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'

const TEAM_STORE = 'postgres://u:secret@127.0.0.1:1/x'

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'))

async function ok(args: string[], env?: NodeJS.ProcessEnv) {
  const result = await genopsAsync(args, env)
  expect(result.stderr).toBe('')
  expect(result.status).toBe(0)
  return result.stdout
}

describe('settings unset', () => {
  it('removes a nested key from settings.json and the objects it leaves empty, keeping the rest, the .bak and 0600', async () => {
    const dir = tempDir()
    const file = join(dir, 'settings.json')
    await ok(['settings', 'set', 'metrics.exporter.port', '9200', '--data-dir', dir])
    await ok(['settings', 'set', 'logs.level', 'debug', '--data-dir', dir])
    const before = readFileSync(file, 'utf8')

    const said = await ok(['settings', 'unset', 'metrics.exporter.port', '--data-dir', dir])
    expect(said).toBe(`metrics.exporter.port: unset in ${file}; now 9464 (default); applies at next start\n`)
    expect(readJson(file)).toEqual({ logs: { level: 'debug' } })
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(before)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(`${file}.bak`).mode & 0o777).toBe(0o600)

    // A variable that still sets it is named; --json says the same for scripts.
    const json = await ok(['settings', 'unset', 'logs.level', '--data-dir', dir, '--json'], { GENOPS_LOG_LEVEL: 'error' })
    expect(JSON.parse(json)).toMatchObject({ key: 'logs.level', removed: true, lives: file, now: { value: 'error', source: 'variable', default: 'info' } })
    const text = await ok(['settings', 'unset', 'logs.level', '--data-dir', dir], { GENOPS_LOG_LEVEL: 'error' })
    expect(text).toBe(`logs.level: was not set in ${file}, but still set by GENOPS_LOG_LEVEL; error (variable)\n`)
    expect(readJson(file)).toEqual({})
  }, 120_000)

  it('takes the store back to the data directory’s SQLite queue, never printing the password', async () => {
    const dir = tempDir()
    await ok(['settings', 'set', 'store', TEAM_STORE, '--data-dir', dir])
    // While settings.json names the unreachable team store, queue commands go there and fail.
    const onTeam = await genopsAsync(['queue', 'stats', '--data-dir', dir])
    expect(onTeam.status).not.toBe(0)
    expect(onTeam.stderr).toContain('127.0.0.1:1')
    expect(existsSync(databaseFile(dir))).toBe(false)

    // A variable naming a team store keeps commands there: said, its password masked.
    const still = await genopsAsync(['settings', 'unset', 'store', '--data-dir', dir, '--json'], { GENOPS_STORE: 'postgres://v:hidden@127.0.0.1:1/y' })
    expect(still.status).toBe(0)
    expect(JSON.parse(still.stdout)).toMatchObject({ removed: true, now: { source: 'variable', value: '********' }, queue: { store: 'postgres' } })
    expect(`${still.stdout}${still.stderr}`).not.toMatch(/hidden|secret/)
    expect(readJson(join(dir, 'settings.json'))).toEqual({})

    await ok(['settings', 'set', 'store', TEAM_STORE, '--data-dir', dir])
    const unset = await genopsAsync(['settings', 'unset', 'store', '--data-dir', dir])
    expect(unset.status).toBe(0)
    expect(unset.stdout).toContain(
      `store: unset in ${join(dir, 'settings.json')}; queue commands now use the data directory's SQLite queue (${databaseFile(dir)})`,
    )
    expect(`${unset.stdout}${unset.stderr}`).not.toContain('secret')
    expect(readFileSync(`${join(dir, 'settings.json')}.bak`, 'utf8')).toContain(TEAM_STORE)

    const stats = await ok(['queue', 'stats', '--data-dir', dir, '--json'])
    expect(JSON.parse(stats)).toMatchObject({ counts: { queued: 0 } })
    expect(existsSync(databaseFile(dir))).toBe(true)
    expect(stats).not.toContain('secret')
  }, 120_000)

  it('says a key was not set, changing nothing, and refuses an unknown key as set does', async () => {
    const dir = tempDir()
    const file = join(dir, 'settings.json')
    const none = await ok(['settings', 'unset', 'threads', '--data-dir', dir])
    expect(none).toContain(`threads: was not set in ${file}`)
    expect(existsSync(file)).toBe(false)

    await ok(['settings', 'set', 'concurrency', '8', '--data-dir', dir])
    const before = readFileSync(file, 'utf8')
    await ok(['settings', 'unset', 'traces.retentionMs', '--data-dir', dir])
    expect(readFileSync(file, 'utf8')).toBe(before)
    expect(existsSync(`${file}.bak`)).toBe(false)

    const unknown = await genopsAsync(['settings', 'unset', 'retention.dead.forever', '--data-dir', dir])
    const bySet = await genopsAsync(['settings', 'set', 'retention.dead.forever', '1', '--data-dir', dir])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('unknown setting "retention.dead.forever"')
    expect(unknown.stderr).toBe(bySet.stderr)
  }, 120_000)

  it('removes a shared setting from the store, so its default applies', async () => {
    const dir = tempDir()
    await ok(['settings', 'set', 'retention.dead.maxAgeMs', '3d', '--data-dir', dir])
    await ok(['settings', 'set', 'breaker.window', '40', '--data-dir', dir])

    const said = await ok(['settings', 'unset', 'retention.dead.maxAgeMs', '--data-dir', dir])
    expect(said).toBe('retention.dead.maxAgeMs: unset in the store; now 7776000000 (default); a running engine applies it within 5s\n')
    const again = JSON.parse(await ok(['settings', 'unset', 'retention.dead.maxAgeMs', '--data-dir', dir, '--json'])) as { removed: boolean; now: SettingRow }
    expect(again).toMatchObject({ removed: false, lives: 'store', now: { source: 'default', value: 90 * 86_400_000 } })

    const store = SqliteQueueStore.open(databaseFile(dir))
    try {
      expect(store.sharedSettings()).toEqual(new Map([['breaker.window', 40]]))
    } finally {
      store.close()
    }
  }, 120_000)
})
