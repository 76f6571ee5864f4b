/**
 * What the app was started with: the data directory, and prompt files to open (from a
 * file manager's "Open with", a shell, or a second start handing them to the first).
 * Pure: no electron, so it is tested in Node.
 */
import { extname, isAbsolute, resolve } from 'node:path'
import { INTAKE_EXTENSIONS } from '../../shared/intake'

/** `--data-dir DIR` or `--data-dir=DIR` among the app's arguments. */
export function dataDirArgument(argv: readonly string[]): string | undefined {
  for (const [index, arg] of argv.entries()) {
    if (arg === '--data-dir') return argv[index + 1]
    if (arg.startsWith('--data-dir=')) return arg.slice('--data-dir='.length)
  }
  return undefined
}

/** Options that take the next argument as their value, so that value is not read as a file. */
const OPTIONS_WITH_VALUE = new Set(['--data-dir'])

/**
 * The prompt files among `argv`, as absolute paths (relative ones against `cwd`, the
 * directory the starting process ran in), each once, in the order given. The executable,
 * the app's own path and switches are skipped; so is any file intake would not read.
 */
export function promptFilesInArgv(argv: readonly string[], cwd: string): string[] {
  const files: string[] = []
  // argv[0] is the executable; in development argv[1] is the app (`.` or out/main/index.js), which no extension below matches.
  for (let index = 1; index < argv.length; index++) {
    const arg = argv[index]!
    if (OPTIONS_WITH_VALUE.has(arg)) {
      index++
      continue
    }
    if (arg.startsWith('-')) continue
    if (!(INTAKE_EXTENSIONS as readonly string[]).includes(extname(arg).toLowerCase())) continue
    const path = isAbsolute(arg) ? arg : resolve(cwd, arg)
    if (!files.includes(path)) files.push(path)
  }
  return files
}
