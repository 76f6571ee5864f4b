/**
 * `npm start` where Electron's binary cannot be downloaded: one plain line and exit 1.
 * The download is pointed at a closed port on loopback, so nothing leaves this machine,
 * and at a copy of the electron package, so the real one is never written to.
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { fetchElectron, installedElectron, shortReason } from '../../scripts/electron-setup.js'
import { tempDir } from '../support/temp'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const REAL_ELECTRON = join(ROOT, 'node_modules/electron')

/** A port nothing listens on: taken from the OS, then let go. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** The electron package without its binary, where a download could write without harm; its requires resolve from the real tree. */
function electronCopy(): string {
  const copy = join(tempDir('genops-electron-'), 'electron')
  mkdirSync(copy)
  for (const file of ['package.json', 'install.js', 'checksums.json', 'index.js']) cpSync(join(REAL_ELECTRON, file), join(copy, file))
  return copy
}

function offlineEnv(copy: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GENOPS_ELECTRON_DIR: copy,
    NODE_PATH: [join(REAL_ELECTRON, 'node_modules'), join(ROOT, 'node_modules')].join(delimiter),
    ELECTRON_MIRROR: `http://127.0.0.1:${port}/`,
    electron_config_cache: tempDir('genops-electron-cache-'),
    // Set as npm sets it: the script must drop it to try at all.
    ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
    // No proxy may carry the request off loopback.
    HTTP_PROXY: '',
    HTTPS_PROXY: '',
    http_proxy: '',
    https_proxy: '',
    ELECTRON_GET_USE_PROXY: '',
  }
}

function run(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const realState = () => ({
  dist: existsSync(join(REAL_ELECTRON, 'dist')) && readdirSync(join(REAL_ELECTRON, 'dist')).length,
  pathTxt: existsSync(join(REAL_ELECTRON, 'path.txt')),
})

describe('npm start without a way to download Electron', () => {
  it('prints one line saying why and what to do instead, and exits 1', async () => {
    const before = realState()
    const copy = electronCopy()
    const { code, stdout, stderr } = await run(join(ROOT, 'scripts/desktop.js'), offlineEnv(copy, await closedPort()))
    expect(code).toBe(1)
    const lines = stderr.split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^genops: could not download Electron's binary \(.+\); the desktop app cannot start here — run headless instead: npm run serve$/)
    expect(stdout).toContain("fetching Electron's binary")
    // Nothing was written: not in the copy, and the real package is as it was.
    expect(readdirSync(copy).sort()).toEqual(['checksums.json', 'index.js', 'install.js', 'package.json'])
    expect(realState()).toEqual(before)
  })
})

describe('electron-setup', () => {
  it('finds no binary in a package that has none', () => {
    expect(installedElectron(electronCopy())).toBeNull()
  })

  it('says the download failed in a few words', async () => {
    const copy = electronCopy()
    expect(fetchElectron(copy, offlineEnv(copy, await closedPort()))).toEqual({ ok: false, reason: 'fetch failed' })
  })

  it('turns a stack trace into its message', () => {
    expect(shortReason('TypeError: fetch failed\n    at node:internal/deps/undici:1:1\n', 1)).toBe('fetch failed')
    expect(shortReason('HTTPError: Response code 404 (Not Found) for http://127.0.0.1:1/v1/e.zip\n    at x', 1)).toBe(
      'Response code 404 (Not Found) for http://127.0.0.1:1/v1/e.zip',
    )
    expect(shortReason('Error [ERR_X]: something odd', 1)).toBe('something odd')
    expect(shortReason('', 7)).toBe('the install script exited with 7')
    expect(shortReason(`Error: ${'x'.repeat(300)}`, 1)).toHaveLength(120)
  })
})
