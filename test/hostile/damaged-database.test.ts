/**
 * A damaged database is named: garbage in its middle is found by quick_check on its own
 * thread and makes health fail with the path; a truncated, header-less or emptied file in
 * a data directory used before is refused at open with one line and no stack, by the CLI,
 * `serve` and the engine alike. A new data directory still starts an empty queue.
 */
import { truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DatabaseDamagedError } from '../../src/main/store/sqlite/db/damage'
import { checkIntegrity } from '../../src/main/store/sqlite/db/integrity'
import { createEngine, type Engine } from '../../src/main/engine'
import { databaseIntegrity, INTEGRITY_CHECK } from '../../src/main/health/integrity'
import { HealthRegistry } from '../../src/main/health/registry'
import { databaseFile, INTEGRITY_THREAD_FILE } from '../../src/main/paths'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'
import { damagedJobId, markUsed, queueWithJobs, writeGarbage } from './database-fixtures'

const engines: Engine[] = []
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.close()))
})

/** One line on stderr, naming the file, with no stack frame. */
function expectOneLine(stderr: string, file: string, problem: RegExp): void {
  const lines = stderr.trimEnd().split('\n')
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toContain(`genops: ${file} `)
  expect(lines[0]).toMatch(problem)
  expect(lines[0]).toContain('genops restore FILE')
  expect(stderr).not.toMatch(/\n\s+at /)
}

describe('64 KB of garbage in the middle of genops.db', () => {
  it('is found by quick_check on its own thread, which names the damaged pages', async () => {
    const file = queueWithJobs(tempDir())
    expect(await checkIntegrity(file, { threadFile: INTEGRITY_THREAD_FILE })).toMatchObject({ state: 'sound' })
    writeGarbage(file)
    const found = await checkIntegrity(file, { threadFile: INTEGRITY_THREAD_FILE })
    expect(found.state).toBe('damaged')
    expect(found.state === 'damaged' && found.problems[0]).toMatch(/page \d+/)
  })

  it('turns the engine unhealthy with the path, and a read that meets it names the damage instead of a bare error', async () => {
    const dataDir = tempDir()
    const file = queueWithJobs(dataDir)
    writeGarbage(file)
    const engine = await createEngine({ dataDir, threads: 1 })
    engines.push(engine)
    const report = await waitFor(
      () => engine.health.report(),
      (r) => r.checks.some((check) => check.name === INTEGRITY_CHECK && check.status === 'fail'),
      { what: 'the integrity check to fail' },
    )
    expect(report.status).toBe('unhealthy')
    const integrity = report.checks.find((check) => check.name === INTEGRITY_CHECK)!
    expect(integrity.critical).toBe(true)
    expect(integrity.detail).toContain(`${file} is damaged (`)
    expect(integrity.detail).toContain('genops restore FILE')

    await expect(engine.call('getJob', { id: damagedJobId(file) })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining(`${file} is damaged (SQLite: database disk image is malformed): restore a backup from ${join(dataDir, 'backups')}`),
    })
  })

  it('fails `genops health` (exit 2) naming the file, and a command that reads a damaged row prints one line', () => {
    const dataDir = tempDir()
    const file = queueWithJobs(dataDir)
    writeGarbage(file)
    const health = genops(['health', '--data-dir', dataDir])
    expect(health.status).toBe(2)
    expect(health.stdout).toMatch(new RegExp(`database-integrity\\s+fail\\s+yes\\s+${file.replace(/[/\\.]/g, '\\$&')} is damaged`))

    const view = genops(['jobs', 'view', String(damagedJobId(file)), '--data-dir', dataDir])
    expect(view.status).toBe(1)
    expectOneLine(view.stderr, file, /is damaged \(SQLite: database disk image is malformed\)/)
  })
})

describe('an integrity check still running', () => {
  it('keeps health from saying healthy: it warns that it is checking', async () => {
    const registry = new HealthRegistry().register(databaseIntegrity({ file: '/data/genops.db', current: () => ({ state: 'checking', since: Date.now() }) }))
    const report = await registry.report()
    expect(report.status).toBe('degraded')
    expect(report.checks[0]).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^checking \/data\/genops\.db/) })
  })
})

describe('a file that is not the queue it should be', () => {
  it('refuses a truncated file with one line naming it: for commands and for `serve`', () => {
    const dataDir = tempDir()
    const file = queueWithJobs(dataDir)
    truncateSync(file, 5000)
    const stats = genops(['queue', 'stats', '--data-dir', dataDir])
    expect(stats.status).toBe(1)
    expectOneLine(stats.stderr, file, /is truncated \(5000 bytes is not a whole number of 4096-byte pages\)/)

    const serve = genops(['serve', '--port', '0', '--no-metrics', '--data-dir', dataDir])
    expect(serve.status).toBe(1)
    expectOneLine(serve.stderr, file, /is truncated/)
  })

  it('refuses a file cut at a page boundary, shorter than its header says', () => {
    const dataDir = tempDir()
    const file = queueWithJobs(dataDir)
    truncateSync(file, 16 * 4096)
    const stats = genops(['queue', 'stats', '--data-dir', dataDir])
    expect(stats.status).toBe(1)
    expectOneLine(stats.stderr, file, /is truncated \(its header counts \d+ pages, \d+ bytes, but the file holds 65536\)/)
  })

  it('refuses a zero-byte file in a data directory used before, instead of starting an empty queue', async () => {
    const dataDir = tempDir()
    const file = queueWithJobs(dataDir)
    markUsed(dataDir)
    truncateSync(file, 0)
    const stats = genops(['queue', 'stats', '--data-dir', dataDir])
    expect(stats.status).toBe(1)
    expectOneLine(stats.stderr, file, new RegExp(`is empty \\(0 bytes\\), yet logs/ in ${dataDir.replace(/[/\\.]/g, '\\$&')} show this queue was used before`))
    // The engine (the desktop app and `serve`) refuses it the same way, with the same class the shell shows in words.
    await expect(createEngine({ dataDir, threads: 1 })).rejects.toBeInstanceOf(DatabaseDamagedError)
  })

  it('refuses a file with no SQLite header', () => {
    const dataDir = tempDir()
    writeFileSync(databaseFile(dataDir), 'this is a note someone saved over the queue\n'.repeat(100))
    const stats = genops(['queue', 'stats', '--data-dir', dataDir])
    expect(stats.status).toBe(1)
    expectOneLine(stats.stderr, databaseFile(dataDir), /is not a SQLite database \(4400 bytes without the "SQLite format 3" header\)/)
  })

  it('still starts an empty queue in a new data directory, even from an empty file', () => {
    const dataDir = tempDir()
    writeFileSync(databaseFile(dataDir), '')
    const stats = genops(['queue', 'stats', '--data-dir', dataDir, '--json'])
    expect(stats.stderr).toBe('')
    expect(stats.status).toBe(0)
    expect(JSON.parse(stats.stdout)).toMatchObject({ counts: { queued: 0 } })
  })
})
