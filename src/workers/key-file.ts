/**
 * API keys from a key file: a file holding the key, readable by its owner only. A file
 * others can read is refused, saying why and how to fix it, as ssh does with private keys.
 * Checked when a profile is saved and again each time a key is read. A key file is a
 * profile's alone: a job can never name one, and what goes wrong with it is told to the
 * job by the profile's name, never the file's path.
 */
import { readFileSync, statSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { holdSecret } from '../shared/redact'

/**
 * The reason a key file cannot be used, or null when it can. `subject` names the file in
 * the words: its path (saving a profile, where the operator typed it) by default.
 */
export function keyFileProblem(path: string, platform = process.platform, subject = `the key file ${path}`): string | null {
  if (!isAbsolute(path)) return `${subject} must be an absolute path`
  let stats
  try {
    stats = statSync(path)
  } catch (error) {
    return `cannot read ${subject} (${(error as NodeJS.ErrnoException).code ?? 'error'})`
  }
  if (!stats.isFile()) return `${subject} is not a file`
  // Windows has no Unix modes; its ACLs are the user's business there.
  if (platform !== 'win32' && (stats.mode & 0o077) !== 0) {
    const fix = subject.endsWith(path) ? `run chmod 600 ${path}` : 'make it readable by its owner only (chmod 600)'
    return `${subject} can be read by others (mode ${(stats.mode & 0o777).toString(8)}): ${fix}`
  }
  return null
}

/** A key is one line: more would go out as a broken header, and echo back whole in the provider's error. */
function keyIn(content: string, subject: string): string {
  const key = content.trim()
  if (!key) throw new Error(`${subject} is empty`)
  if (/[\r\n]/.test(key)) throw new Error(`${subject} holds more than one line: a key file holds the key alone`)
  return key
}

/** The key, remembered so that it is masked wherever it may be echoed; throws with `subject` in the words. */
export function readKeyFile(path: string, subject = `the key file ${path}`): string {
  const problem = keyFileProblem(path, process.platform, subject)
  if (problem) throw new Error(problem)
  const content = readFileSync(path, 'utf8')
  // Held before it is checked: a key file with two lines is still two secrets.
  holdSecret(content)
  return keyIn(content, subject)
}
