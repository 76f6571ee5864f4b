/** A team key file as an operator makes one (`openssl rand -base64 32 > team.key`, mode 0600). */
import { randomBytes } from 'node:crypto'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './temp'

export function teamKeyFile(content = randomBytes(32).toString('base64'), mode = 0o600): string {
  const file = join(tempDir(), 'team.key')
  writeFileSync(file, `${content}\n`, { mode })
  // writeFileSync's mode is cut by the umask; chmod sets it as asked.
  chmodSync(file, mode)
  return file
}
