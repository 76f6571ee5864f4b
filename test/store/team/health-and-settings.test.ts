/**
 * Team mode's health and settings: `genops health --store URL` checks the store named, not
 * whatever engine runs in the data directory; and finding the store reads only settings.json's
 * `store`, so an unrelated bad key there does not block `queue stats --store URL` nor turn
 * `health` into a usage error (a hostile review found both).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { genopsAsync, genopsInBackground } from '../../support/cli'
import { freePort } from '../../support/ports'
import { postgresServer } from '../../support/postgres'
import { tempDir } from '../../support/temp'

const server = await postgresServer()

describe.skipIf(!server)('health and settings on a team store', () => {
  it("`genops health --store URL` does not report a SQLite engine of the data directory as the team store's health", { timeout: 90_000 }, async () => {
    const dataDir = tempDir()
    const engine = genopsInBackground(['serve', '--data-dir', dataDir, '--port', '0', '--metrics-port', String(await freePort())])
    try {
      await new Promise<void>((resolve, reject) => {
        let out = ''
        engine.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString()
          if (out.includes('GenOps listening on')) resolve()
        })
        engine.once('exit', (code) => reject(new Error(`serve exited ${code}`)))
      })
      const port = await freePort()
      const health = await genopsAsync(['health', '--json', '--store', `postgres://team:hunter2secret@127.0.0.1:${port}/queue`, '--data-dir', dataDir])
      // Today: exit 0, "healthy", database "<dataDir>/genops.db takes writes", reported by the SQLite engine: the team store is down.
      const report = JSON.parse(health.stdout) as { status: string; checks: { name: string; detail: string }[] }
      expect(report.checks.find((check) => check.name === 'database')?.detail).not.toMatch(/genops\.db/)
      expect(report.status).not.toBe('healthy')
      expect(health.status).not.toBe(0)
    } finally {
      engine.kill('SIGTERM')
      await new Promise((resolve) => engine.once('exit', resolve))
    }
  })

  it('an unrelated bad key in settings.json does not block a command given --store', { timeout: 60_000 }, async () => {
    const url = await server!.freshDatabase()
    const dataDir = tempDir()
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ logs: { level: 'verbose' } }))
    const stats = await genopsAsync(['queue', 'stats', '--store', url, '--data-dir', dataDir])
    // Today: exit 2 "settings.json: logs.level: Invalid option" (before this change, local commands never read settings.json).
    expect(stats.stderr).toBe('')
    expect(stats.status).toBe(0)
    const health = await genopsAsync(['health', '--json', '--store', url, '--data-dir', dataDir])
    // `health` answers with a report (exit 0/1/2 by status), not a usage error on stderr that collides with exit 2 = unhealthy.
    expect(health.stderr).toBe('')
    expect(() => JSON.parse(health.stdout) as unknown).not.toThrow()
  })
})
