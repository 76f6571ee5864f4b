// `npm start`: the desktop app. The first time, Electron's binary is fetched (npm install
// skips it) and better-sqlite3 is built once more for Electron's ABI, into a folder of its
// own: the Node build that the CLI and the tests use stays as it is.
// `node scripts/desktop.js --build-sqlite-only` does the second part alone (npm run dist).
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSqliteForElectron, electronPackageDir, electronVersion, fetchElectron, installedElectron } from './electron-setup.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const sqliteOnly = args.includes('--build-sqlite-only')

/** One plain line, then out: whoever reads it needs the reason and what to do, not a stack trace. */
function fail(message) {
  console.error(`genops: ${message}`)
  process.exit(1)
}

const electronDir = electronPackageDir(root)
let electron = null
if (!sqliteOnly) {
  electron = installedElectron(electronDir)
  if (!electron) {
    console.log("genops: fetching Electron's binary (once)...")
    const fetched = fetchElectron(electronDir)
    if (!fetched.ok) {
      fail(`could not download Electron's binary (${fetched.reason}); the desktop app cannot start here — run headless instead: npm run serve`)
    }
    electron = installedElectron(electronDir)
  }
}

let binding
try {
  binding = buildSqliteForElectron(root, electronVersion(electronDir))
} catch (error) {
  fail(error instanceof Error ? error.message : String(error))
}
if (sqliteOnly) process.exit(0)

const app = spawn(electron, [root, ...args], { stdio: 'inherit', env: { ...process.env, GENOPS_SQLITE_BINDING: binding } })
app.on('exit', (code) => process.exit(code ?? 0))
