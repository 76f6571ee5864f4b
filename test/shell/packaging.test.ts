/**
 * The installers' configuration (electron-builder.js), loaded and validated as
 * electron-builder loads it, with every path it names checked against the repository and
 * the build. electron-builder itself is not run: it would download Electron.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config'
import type { Configuration } from 'electron-builder'
import { beforeAll, describe, expect, it } from 'vitest'
import { electronSqliteBinding } from '../../scripts/electron-setup.js'
import { PACKAGED_SQLITE_BINDING, iconsDirFor } from '../../src/main/shell/app-paths'
import { TRAY_LOOKS } from '../../src/main/shell/tray-state'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const OUT_MAIN = join(ROOT, 'out/main')
// npm test builds first: under CI=true a missing build fails instead of skipping.
const built = existsSync(join(OUT_MAIN, 'index.js')) || process.env.CI === 'true'
const WORKER_ENTRIES = ['attempt.js', 'intake-thread.js', 'checkpoint-thread.js']

/** electron-builder's file patterns (FileSet filters and asarUnpack) as a test: `**` spans folders, `*` does not. */
function globMatcher(pattern: string): RegExp {
  const source = pattern
    .split(/(\*\*\/|\*\*|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`)
}
const matchesAny = (patterns: readonly string[], path: string) => patterns.some((pattern) => globMatcher(pattern).test(path))

/** Width and height from a PNG's header. */
function pngSize(file: string): [number, number] {
  const data = readFileSync(file)
  expect(data.subarray(1, 4).toString('ascii'), `${file} is a PNG`).toBe('PNG')
  return [data.readUInt32BE(16), data.readUInt32BE(20)]
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split('\\').join('/'))
}

let config: Configuration
beforeAll(async () => {
  config = await getConfig(ROOT, null, null)
  // The schema check electron-builder runs before it builds anything.
  await validateConfiguration(config, { isEnabled: false, add() {} } as unknown as Parameters<typeof validateConfiguration>[1])
})

describe('electron-builder.js', () => {
  it('names the app and builds the usual installers', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/)
    expect(config.productName).toBe('GenOps')
    const targets = (platform: 'linux' | 'mac' | 'win') => config[platform]!.target
    expect(targets('linux')).toEqual(['AppImage', 'deb'])
    expect(targets('mac')).toEqual(['dmg'])
    expect(targets('win')).toEqual(['nsis'])
    const electron = JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }
    expect(config.electronVersion).toBe(electron.version)
  })

  it('packs the build, package.json and resources, and does not rebuild native modules', () => {
    const files = (config.files as { filter: string[] }[]).flatMap((set) => set.filter)
    expect(files).toEqual(expect.arrayContaining(['out/**', 'package.json', 'resources/**']))
    expect(config.npmRebuild).toBe(false)
    const main = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string }).main.replace(/^\.\//, '')
    expect(matchesAny(files, main)).toBe(true)
  })

  it('has its icons: the app at 512 px, the tray looks at 16 and 32 px', () => {
    expect(pngSize(join(ROOT, config.icon!))).toEqual([512, 512])
    const icons = iconsDirFor(OUT_MAIN)
    expect(icons).toBe(join(ROOT, 'resources/icons'))
    for (const look of TRAY_LOOKS) {
      expect(pngSize(join(icons, `tray-${look}.png`))).toEqual([16, 16])
      expect(pngSize(join(icons, `tray-${look}@2x.png`))).toEqual([32, 32])
    }
  })

  it('unpacks native modules and the worker threads’ files from the archive', () => {
    const unpack = config.asarUnpack as string[]
    expect(matchesAny(unpack, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true)
    expect(matchesAny(unpack, 'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node')).toBe(true)
    expect(matchesAny(unpack, 'node_modules/node-llama-cpp/bins/linux-x64/llama-addon.node')).toBe(true)
    for (const entry of WORKER_ENTRIES) expect(matchesAny(unpack, `out/main/${entry}`)).toBe(true)
    // Every native file installed for them: the addons and the libraries they load beside them.
    const installed = ['node_modules/better-sqlite3', 'node_modules/@node-llama-cpp'].filter((dir) => existsSync(join(ROOT, dir)))
    const nativeFiles = installed.flatMap((dir) => filesUnder(join(ROOT, dir))).filter((file) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(file))
    expect(nativeFiles.some((file) => file.endsWith('better_sqlite3.node'))).toBe(true)
    for (const file of nativeFiles) expect(matchesAny(unpack, file), file).toBe(true)
  })

  it.skipIf(!built)('covers what the build wrote: the worker entries and every chunk beside them', () => {
    const unpack = config.asarUnpack as string[]
    const files = (config.files as { filter: string[] }[]).flatMap((set) => set.filter)
    for (const entry of WORKER_ENTRIES) expect(existsSync(join(OUT_MAIN, entry)), `out/main/${entry}`).toBe(true)
    for (const file of filesUnder(OUT_MAIN)) {
      expect(matchesAny(files, file), `${file} is packed`).toBe(true)
      expect(matchesAny(unpack, file), `${file} is unpacked`).toBe(true)
    }
    expect(existsSync(join(ROOT, 'out/preload/index.cjs'))).toBe(true)
    expect(existsSync(join(ROOT, 'out/renderer/index.html'))).toBe(true)
  })

  it('ships better-sqlite3 built for Electron where the packaged shell loads it', () => {
    const [resource] = config.extraResources as { from: string; to: string }[]
    expect(join(ROOT, resource!.from)).toBe(electronSqliteBinding(ROOT, config.electronVersion!))
    expect(resource!.to).toBe(PACKAGED_SQLITE_BINDING)
    // It exists once `npm start` (or `node scripts/desktop.js --build-sqlite-only`) has built it, which needs Electron's headers from the network.
    if (!existsSync(join(ROOT, resource!.from))) console.log(`packaging: ${resource!.from} is not built here (npm run dist builds it first)`)
  })
})
