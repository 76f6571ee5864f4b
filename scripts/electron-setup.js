// What `npm start` needs before Electron can run, and the decisions around it, apart
// from scripts/desktop.js so test/shell/desktop-script.test.ts can reach them:
// Electron's binary (fetched by Electron's own install script when npm skipped it) and
// better-sqlite3 built for Electron's ABI in a folder of its own.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** The electron package: node_modules/electron, or GENOPS_ELECTRON_DIR (tests point it at a copy so the real one is never touched). */
export function electronPackageDir(root, env = process.env) {
  return env.GENOPS_ELECTRON_DIR || join(root, 'node_modules/electron')
}

export function electronVersion(electronDir) {
  return JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version
}

/** The installed binary, found as the electron package's index.js finds it, or null. */
export function installedElectron(electronDir, env = process.env) {
  const pathFile = join(electronDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const relative = readFileSync(pathFile, 'utf8')
  const binary = env.ELECTRON_OVERRIDE_DIST_PATH ? join(env.ELECTRON_OVERRIDE_DIST_PATH, relative) : join(electronDir, 'dist', relative)
  return existsSync(binary) ? binary : null
}

/**
 * A failed download's stack trace as a few words for one line: the error's message
 * (`fetch failed`, `Response code 404 (Not Found) for ...`), at most 120 characters.
 */
export function shortReason(output, status) {
  const lines = String(output)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
  const error = lines.find((line) => /^[A-Za-z]*Error\b/.test(line)) ?? lines[0]
  const reason = error ? error.replace(/^[A-Za-z]*Error(\s*\[[^\]]*\])?:\s*/, '') : `the install script exited with ${status}`
  return reason.length > 120 ? `${reason.slice(0, 119)}…` : reason
}

/**
 * Runs Electron's own install script, which npm skipped (`allowScripts` in package.json).
 * It honours ELECTRON_MIRROR and electron_config_cache; ELECTRON_SKIP_BINARY_DOWNLOAD is
 * dropped, since the point now is to download. Returns `{ ok }` or `{ ok: false, reason }`.
 */
export function fetchElectron(electronDir, env = process.env) {
  const script = join(electronDir, 'install.js')
  if (!existsSync(script)) return { ok: false, reason: `${electronDir} has no install.js: run npm install` }
  const { ELECTRON_SKIP_BINARY_DOWNLOAD: _skipped, ...downloadEnv } = env
  const run = spawnSync(process.execPath, [script], { cwd: electronDir, env: downloadEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (run.error) return { ok: false, reason: run.error.message }
  if (run.status !== 0) return { ok: false, reason: shortReason(`${run.stderr}\n${run.stdout}`, run.status) }
  return installedElectron(electronDir, env) ? { ok: true } : { ok: false, reason: 'the install script finished but no binary is there' }
}

/** Where better-sqlite3 built for this Electron lives: node_modules/.genops, beside the Node build the CLI and tests use. */
export function electronSqliteBinding(root, version) {
  return join(root, 'node_modules/.genops', `better-sqlite3-electron-${version}`, 'build/Release/better_sqlite3.node')
}

/**
 * Builds better-sqlite3 for Electron's ABI once, into a copy of the package: rebuilding in
 * place, as electron-rebuild does, would replace the Node build. Returns the binding's
 * path; throws with a plain message when the build fails.
 */
export function buildSqliteForElectron(root, version, env = process.env) {
  const binding = electronSqliteBinding(root, version)
  if (existsSync(binding)) return binding
  const copy = dirname(dirname(dirname(binding)))
  console.log(`genops: building better-sqlite3 for Electron ${version} (once; about a minute)...`)
  rmSync(copy, { recursive: true, force: true })
  mkdirSync(copy, { recursive: true })
  const source = join(root, 'node_modules/better-sqlite3')
  cpSync(source, copy, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) })
  // npm tells its scripts where its own node-gyp is; outside npm, look beside npm.
  const gyp = env.npm_config_node_gyp ?? join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')
  const built = spawnSync(
    process.execPath,
    [gyp, 'rebuild', '--release', `--target=${version}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'],
    { cwd: copy, stdio: 'inherit' },
  )
  if (built.status !== 0 || !existsSync(binding)) throw new Error('could not build better-sqlite3 for Electron (see the output above)')
  return binding
}
