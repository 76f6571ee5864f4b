/**
 * The built desktop shell (out/main/index.js) on the fake Electron (test/shell/fake-electron),
 * driven by one of its scripts: drive.mjs does what an operator does with files and menus;
 * drive-keys.mjs starts it with the keyring it is told to report and saves a profile with an
 * API key from its window as the Settings screen saves one. What the shell showed, what the
 * calls answered, and what it logged.
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

/** Runs a drive script of the fake Electron with `args`: what it printed as JSON, and what the shell logged. */
export function driveShell<T>(script: 'drive.mjs' | 'drive-keys.mjs', args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ printed: T; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', join(FAKE, 'register.mjs'), join(FAKE, script), ...args], {
      cwd: ROOT,
      env: { ...process.env, GENOPS_DATA_DIR: '', GENOPS_STORE: '', GENOPS_TEAM_KEY_FILE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve({ printed: JSON.parse(stdout) as T, stderr }) : reject(new Error(`${script} exited ${code}: ${stderr}`))))
  })
}

/** `keyring`: the safeStorage backend the fake reports (basic_text: none a key is safe with). */
export async function driveKeys(dataDir: string, keyring: string, apiKey: string): Promise<KeysDrive> {
  const { printed, stderr } = await driveShell<Omit<KeysDrive, 'stderr'>>('drive-keys.mjs', [dataDir, apiKey], { FAKE_ELECTRON_KEYRING: keyring })
  return { ...printed, stderr }
}

/** The notices the shell sent the window. */
export const notices = (shown: KeysDrive['shown']) =>
  shown
    .filter((entry) => entry[0] === 'send')
    .map((entry) => entry[2] as EngineEvent)
    .filter((event) => event.type === 'notice')
    .map((event) => event.data)
