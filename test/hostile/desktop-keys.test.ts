/**
 * On Linux with no keyring, Electron's safeStorage falls back to `basic_text` (a password
 * anyone can read in Chromium's source) and still calls encryption available: the desktop
 * app then keeps no API keys and says why, in its log and in the window. The built shell
 * runs on the fake Electron (test/shell/fake-electron), which reports the keyring it is given.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { EngineEvent } from '../../src/shared/contract'
import { databaseFile } from '../../src/main/paths'
import { ROOT } from '../support/cli'
import { tempDir } from '../support/temp'

// `npm test` builds first; under CI a missing build fails here rather than skipping.
const built = existsSync(join(ROOT, 'out/main/index.js')) || process.env.CI === 'true'
const FAKE = join(ROOT, 'test/shell/fake-electron')
const API_KEY = 'gwkey.9341fa0c-desktop-key-under-test'

interface Drive {
  shown: [string, ...unknown[]][]
  saved: { value?: { hasKey: boolean }; error?: { code: string; message: string } }
  listed: { value?: { profiles: { name: string; hasKey: boolean }[] } }
  stderr: string
}

/** The shell started with this keyring, a profile with a key saved from its window. */
function drive(dataDir: string, keyring: string): Promise<Drive> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', join(FAKE, 'register.mjs'), join(FAKE, 'drive-keys.mjs'), dataDir, API_KEY], {
      cwd: ROOT,
      env: { ...process.env, GENOPS_DATA_DIR: '', FAKE_ELECTRON_KEYRING: keyring },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve({ ...(JSON.parse(stdout) as Omit<Drive, 'stderr'>), stderr }) : reject(new Error(`drive-keys.mjs exited ${code}: ${stderr}`)),
    )
  })
}

const notices = (shown: Drive['shown']) =>
  shown
    .filter((entry) => entry[0] === 'send')
    .map((entry) => entry[2] as EngineEvent)
    .filter((event) => event.type === 'notice')
    .map((event) => event.data)

/** Every file of the data directory's database (the WAL too), as text: where a key kept in the clear would be. */
const databaseText = (dataDir: string): string =>
  readdirSync(dataDir)
    .filter((name) => name.startsWith('genops.db'))
    .map((name) => readFileSync(join(dataDir, name)).toString('latin1'))
    .join('\n')

describe.runIf(built && process.platform === 'linux')('the desktop app’s keys on Linux', () => {
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
