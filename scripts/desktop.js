// `npm start`: the desktop app. Electron runs its own Node ABI, so better-sqlite3 is built
// once more for it, into a folder of its own: the Node build that the CLI and the tests
// use stays as it is (rebuilding in place, as electron-rebuild does, would replace it).
import { spawnSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

function fail(message) {
  console.error(`genops: ${message}`)
  process.exit(1)
}

let electron
try {
  electron = require('electron')
} catch {
  electron = null
}
if (!electron || !existsSync(electron)) {
  fail(
    "Electron's binary is not installed (npm install skips its download). Fetch it with\n" +
      '  node node_modules/electron/install.js\n' +
      'then run `npm start` again. Without a display, use headless mode: `npm run serve`.',
  )
}

const version = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version
const binding = join(root, 'node_modules/.genops', `better-sqlite3-electron-${version}`, 'build/Release/better_sqlite3.node')
if (!existsSync(binding)) {
  const copy = dirname(dirname(dirname(binding)))
  console.log(`genops: building better-sqlite3 for Electron ${version} (once; about a minute)...`)
  rmSync(copy, { recursive: true, force: true })
  mkdirSync(copy, { recursive: true })
  const source = join(root, 'node_modules/better-sqlite3')
  cpSync(source, copy, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build')) })
  // npm tells its scripts where its own node-gyp is; outside npm, look beside npm.
  const gyp = process.env.npm_config_node_gyp ?? join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')
  const built = spawnSync(
    process.execPath,
    [gyp, 'rebuild', '--release', `--target=${version}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'],
    { cwd: copy, stdio: 'inherit' },
  )
  if (built.status !== 0 || !existsSync(binding)) fail('could not build better-sqlite3 for Electron (see the output above)')
}

const app = spawn(electron, [root, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, GENOPS_SQLITE_BINDING: binding } })
app.on('exit', (code) => process.exit(code ?? 0))
