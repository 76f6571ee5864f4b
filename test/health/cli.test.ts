/** `genops health` as an operator or a script runs it: the exit code says healthy, degraded or unhealthy. */
import { mkdirSync, statfsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { HealthReport } from '../../src/shared/health'
import { genopsAsync } from '../support/cli'
import { tempDir } from '../support/temp'

const MIB = 1024 * 1024
const freeMiB = (dir: string) => {
  const { bavail, bsize } = statfsSync(dir)
  return Math.floor((bavail * bsize) / MIB)
}

describe('genops health', () => {
  it('exits 0 when healthy, with a short table', async () => {
    const dir = tempDir()
    const result = await genopsAsync(['health', '--data-dir', dir])
    expect(result.stderr).toBe('')
    expect(result.status).toBe(0)
    const lines = result.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^healthy \(checked \d{4}-\d\d-\d\dT/)
    expect(lines[1]).toMatch(/^CHECK\s+STATUS\s+CRITICAL\s+DETAIL$/)
    expect(lines[2]).toMatch(/^database\s+pass\s+yes\s+.*genops\.db takes writes$/)
    expect(lines[3]).toMatch(/^database-integrity\s+pass\s+yes\s+.*genops\.db: quick_check found no damage /)
    expect(lines[4]).toMatch(/^disk\s+pass\s+yes\s+.* free for /)
  })

  it('exits 1 when degraded: free disk under twice the floor', async () => {
    const dir = tempDir()
    // 70% of what is free now: above the floor, below twice it, with room for other tests writing meanwhile.
    const result = await genopsAsync(['health', '--data-dir', dir, '--json', '--min-free-disk', String(Math.floor(freeMiB(dir) * 0.7))])
    expect(result.status).toBe(1)
    const report = HealthReport.parse(JSON.parse(result.stdout))
    expect(report.status).toBe('degraded')
    expect(report.checks.find((c) => c.name === 'disk')?.status).toBe('warn')
  })

  it('exits 2 when unhealthy: free disk under the floor', async () => {
    const result = await genopsAsync(['health', '--data-dir', tempDir(), '--json', '--min-free-disk', String(2 ** 40)])
    expect(result.status).toBe(2)
    expect(HealthReport.parse(JSON.parse(result.stdout)).status).toBe('unhealthy')
  })

  it('exits 2, saying why, when the database cannot be opened', async () => {
    const dir = tempDir()
    // A directory where the database file should be: no process can open it, whoever runs the test.
    mkdirSync(join(dir, 'genops.db'))
    const result = await genopsAsync(['health', '--data-dir', dir])
    expect(result.status).toBe(2)
    expect(result.stdout).toMatch(/^unhealthy /)
    expect(result.stdout).toMatch(/database\s+fail\s+yes\s+cannot open .*genops\.db: /)
  })

  it('refuses a floor that is not a whole number, as a usage error', async () => {
    const result = await genopsAsync(['health', '--data-dir', tempDir(), '--min-free-disk', 'lots'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('--min-free-disk must be an integer from 0')
  })
})
