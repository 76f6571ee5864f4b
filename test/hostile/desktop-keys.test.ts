/**
 * On Linux with no keyring, Electron's safeStorage falls back to `basic_text` (a password
 * anyone can read in Chromium's source) and still calls encryption available: the desktop
 * app then keeps no API keys and says why, in its log and in the window. The built shell
 * runs on the fake Electron (test/shell/fake-electron), which reports the keyring it is given.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { databaseFile } from '../../src/main/paths'
import { driveKeys, notices, shellBuilt } from '../support/desktop-shell'
import { tempDir } from '../support/temp'

const API_KEY = 'gwkey.9341fa0c-desktop-key-under-test'
const drive = (dataDir: string, keyring: string) => driveKeys(dataDir, keyring, API_KEY)

/** Every file of the data directory's database (the WAL too), as text: where a key kept in the clear would be. */
const databaseText = (dataDir: string): string =>
  readdirSync(dataDir)
    .filter((name) => name.startsWith('genops.db'))
    .map((name) => readFileSync(join(dataDir, name)).toString('latin1'))
    .join('\n')

describe.runIf(shellBuilt && process.platform === 'linux')('the desktop app’s keys on Linux', () => {
  it('keeps none when safeStorage has only basic_text, and says why in the log and the window', async () => {
    const dataDir = tempDir()
    const { shown, saved, listed, stderr } = await drive(dataDir, 'basic_text')
    const why = /^GenOps keeps no API keys on this desktop: no system keyring \(GNOME Keyring, KWallet\) answered.*\(its basic_text backend\)\. Start a keyring/

    // Said once; other lines (a busy metrics port on this machine) may come and go.
    const logged = stderr.split('\n').filter((line) => line.includes('API keys'))
    expect(logged.map((line) => line.replace(/^genops: /, ''))).toEqual([expect.stringMatching(why)])
    expect(logged[0]).toMatch(/^genops: /)
    expect(notices(shown)).toEqual([{ level: 'warning', message: expect.stringMatching(why), at: expect.any(Number) }])
    expect(saved.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('keeps no API keys') })
    expect(listed.value!.profiles).toEqual([])
    expect(existsSync(databaseFile(dataDir))).toBe(true)
    expect(databaseText(dataDir)).not.toContain(API_KEY)
  })

  it('keeps a key, sealed, where a keyring answers, and says nothing', async () => {
    const dataDir = tempDir()
    const { shown, saved, listed, stderr } = await drive(dataDir, 'gnome_libsecret')
    expect(saved.error).toBeUndefined()
    expect(saved.value).toMatchObject({ hasKey: true })
    expect(listed.value!.profiles).toMatchObject([{ name: 'work', hasKey: true }])
    expect(notices(shown)).toEqual([])
    expect(stderr).not.toContain('keeps no API keys')
    expect(databaseText(dataDir)).not.toContain(API_KEY)
  })
})
