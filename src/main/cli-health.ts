/**
 * `genops health`: the checks a process without an engine can make (the database takes
 * a write, the disk has room), with an exit code a script or a supervisor can act on.
 */
import type { Command } from 'commander'
import type { HealthReport, HealthStatus } from '../shared/health'
import { common, integer, print, printJson, type Common } from './cli-support'
import { DEFAULT_MIN_FREE_DISK_BYTES, freeDisk, standaloneHealth } from './health/checks'
import { HealthRegistry } from './health/registry'
import { databaseFile, dataDir } from './paths'
import { SqliteQueueStore } from './queue/sqlite'

const EXIT_CODES: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 }
const MIB = 1024 * 1024

export function addHealthCommand(program: Command): void {
  common(program.command('health').description('check the database and the disk: exit 0 healthy, 1 degraded, 2 unhealthy'), true)
    .option(
      '--min-free-disk <MiB>',
      `free disk below which the data directory is unhealthy, in MiB (default ${DEFAULT_MIN_FREE_DISK_BYTES / MIB})`,
      integer('--min-free-disk', 0),
    )
    .action(async (options: Common & { minFreeDisk?: number }) => {
      const minFreeDiskBytes = options.minFreeDisk === undefined ? undefined : options.minFreeDisk * MIB
      const report = await checkHealth(dataDir(options.dataDir), minFreeDiskBytes)
      if (options.json) printJson(report)
      else print(formatHealth(report))
      process.exitCode = EXIT_CODES[report.status]
    })
}

async function checkHealth(dir: string, minFreeDiskBytes: number | undefined): Promise<HealthReport> {
  let store: SqliteQueueStore
  try {
    store = SqliteQueueStore.open(databaseFile(dir))
  } catch (error) {
    // A database that cannot even be opened is the unhealthiest answer, not a crash of the command.
    const detail = `cannot open ${databaseFile(dir)}: ${(error as Error).message}`
    const registry = new HealthRegistry()
      .register({ name: 'database', critical: true, timeoutMs: 1000, check: () => ({ status: 'fail', detail }) })
      .register(freeDisk(dir, { minFreeBytes: minFreeDiskBytes }))
    return registry.report()
  }
  try {
    return await standaloneHealth(store, { minFreeDiskBytes }).report()
  } finally {
    store.close()
  }
}

export function formatHealth(report: HealthReport): string {
  const rows = [
    ['CHECK', 'STATUS', 'CRITICAL', 'DETAIL'],
    ...report.checks.map((check) => [check.name, check.status, check.critical ? 'yes' : 'no', check.detail]),
  ]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const table = rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '))
  return [`${report.status} (checked ${new Date(report.checkedAt).toISOString()})`, ...table].join('\n')
}
