/**
 * API keys from a key file: a file holding the key, readable by its owner only. A file
 * others can read is refused, saying why and how to fix it, as ssh does with private keys.
 * Checked when a profile is saved and again each time a key is read.
 */
import { readFileSync, statSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { AttemptError } from '../shared/errors'

/** The reason a key file cannot be used, or null when it can. */
export function keyFileProblem(path: string, platform = process.platform): string | null {
  if (!isAbsolute(path)) return `the key file path "${path}" must be absolute`
  let stats
  try {
    stats = statSync(path)
  } catch (error) {
    return `cannot read the key file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`
  }
  if (!stats.isFile()) return `the key file ${path} is not a file`
  // Windows has no Unix modes; its ACLs are the user's business there.
  if (platform !== 'win32' && (stats.mode & 0o077) !== 0) {
    return `the key file ${path} can be read by others (mode ${(stats.mode & 0o777).toString(8)}): run chmod 600 ${path}`
  }
  return null
}

export function readKeyFile(path: string): string {
  const problem = keyFileProblem(path)
  if (problem) throw new AttemptError('AUTH', problem)
  const key = readFileSync(path, 'utf8').trim()
  if (!key) throw new AttemptError('AUTH', `the key file ${path} is empty`)
  return key
}
