/**
 * Two processes opening a new data directory's database at the same instant (two `genops`
 * commands started together, the app and a script): both open it. SQLite answers the switch
 * to WAL with SQLITE_BUSY at once, past any busy timeout, when both try it together; about
 * one round in two failed before openDatabase asked again.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../support/cli'
import { tempDir } from '../support/temp'

const run = promisify(execFile)
const script = join(ROOT, 'test/support/open-at.ts')

describe('opening a new database from two processes at once', () => {
  it('opens it in both, round after round', { timeout: 90_000 }, async () => {
    for (let round = 0; round < 5; round++) {
      const file = join(tempDir(), 'genops.db')
      // Far enough ahead that both processes have loaded and wait for the same instant.
      const at = String(Date.now() + 2_000)
      const both = await Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', script, file, at], { cwd: ROOT })))
      expect(both.map(({ stdout }) => stdout.trim())).toEqual(['ok', 'ok'])
    }
  })
})
