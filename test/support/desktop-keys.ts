/**
 * The built desktop shell (out/main/index.js) on the fake Electron (test/shell/fake-electron),
 * started with the keyring it is told to report, a profile with an API key saved from its
 * window as the Settings screen saves one (drive-keys.mjs): what the shell showed, what the save
 * and the list answered, and what it logged.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { EngineEvent } from '../../src/shared/contract'
import { ROOT } from './cli'

// `npm test` builds first; under CI a missing build fails rather than skipping.
export const shellBuilt = existsSync(join(ROOT, 'out/main/index.js')) || process.env.CI === 'true'
const FAKE = join(ROOT, 'test/shell/fake-electron')

export interface KeysDrive {
  shown: [string, ...unknown[]][]
  saved: { value?: { hasKey: boolean }; error?: { code: string; message: string } }
  listed: { value?: { profiles: { name: string; hasKey: boolean }[] } }
  stderr: string
}

/** `keyring`: the safeStorage backend the fake reports (basic_text: none a key is safe with). */
export function driveKeys(dataDir: string, keyring: string, apiKey: string): Promise<KeysDrive> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', join(FAKE, 'register.mjs'), join(FAKE, 'drive-keys.mjs'), dataDir, apiKey], {
      cwd: ROOT,
      env: { ...process.env, GENOPS_DATA_DIR: '', GENOPS_STORE: '', GENOPS_TEAM_KEY_FILE: '', FAKE_ELECTRON_KEYRING: keyring },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve({ ...(JSON.parse(stdout) as Omit<KeysDrive, 'stderr'>), stderr }) : reject(new Error(`drive-keys.mjs exited ${code}: ${stderr}`)),
    )
  })
}

/** The notices the shell sent the window. */
export const notices = (shown: KeysDrive['shown']) =>
  shown
    .filter((entry) => entry[0] === 'send')
    .map((entry) => entry[2] as EngineEvent)
    .filter((event) => event.type === 'notice')
    .map((event) => event.data)
