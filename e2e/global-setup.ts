/**
 * Once per e2e run: check the build is there, and find the browsers the specs drive.
 * What is missing is said here, in one plain line, and only the specs that need it skip.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { chromium } from 'playwright-core'
import type { TestProject } from 'vitest/node'
import { CLI_FILE, ELECTRON_MAIN_FILE, RENDERER_INDEX } from './fixtures/paths'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Chromium to drive, or null when this machine has none. */
    chromiumPath: string | null
    /** The Electron binary, or null when it is not installed (it is not downloaded here). */
    electronPath: string | null
  }
}

function findChromium(): string | null {
  const configured = process.env.CHROMIUM_PATH
  if (configured) {
    if (!existsSync(configured)) throw new Error(`e2e: CHROMIUM_PATH is ${configured}, which does not exist`)
    return configured
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  const bundled = chromium.executablePath()
  return bundled && existsSync(bundled) ? bundled : null
}

function findElectron(): string | null {
  try {
    // The electron package exports the binary's path, and throws if the binary was never downloaded.
    const binary: unknown = createRequire(import.meta.url)('electron')
    return typeof binary === 'string' && existsSync(binary) ? binary : null
  } catch {
    return null
  }
}

export default function setup(project: TestProject): void {
  for (const file of [CLI_FILE, ELECTRON_MAIN_FILE, RENDERER_INDEX]) {
    if (!existsSync(file)) throw new Error(`e2e: ${file} is missing: run \`npm run build\` first`)
  }
  const chromiumPath = findChromium()
  // .ci/run installs Chromium: in CI its absence is a broken install, which a skip would hide.
  if (!chromiumPath && process.env.CI === 'true') throw new Error('e2e: no Chromium found under CI=true: .ci/run installs it (apt-get install chromium)')
  if (!chromiumPath) console.log('e2e: no Chromium found (set CHROMIUM_PATH or apt-get install chromium); skipping the browser tests')
  const electronPath = findElectron()
  if (!electronPath) console.log('e2e: no Electron binary installed (node_modules/electron has none); skipping the desktop app test')
  project.provide('chromiumPath', chromiumPath)
  project.provide('electronPath', electronPath)
}
