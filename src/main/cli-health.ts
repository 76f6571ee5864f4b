/**
 * `genops health`: with an engine running on the data directory (its discovery file,
 * engine.json), that engine's own report from its /health; without one, every check a
 * process without an engine can make (the database, its integrity, the disk, and what the
 * store records: the queue or providers paused, breakers held), naming those it cannot.
 * The exit code is for a script or a supervisor: 0 healthy, 1 degraded, 2 unhealthy.
 */
import type { Command } from 'commander'
import { HealthReport, type HealthStatus } from '../shared/health'
import { remoteHealth, type RemoteServer } from './cli-remote'
import { common, integer, print, printJson, type Common } from './cli-support'
import { readDiscovery, type Discovery } from './engine-discovery'
import { DEFAULT_MIN_FREE_DISK_BYTES, ENGINE_ONLY_CHECKS, freeDisk } from './health/checks'
import { standaloneHealth } from './health/standalone'
import { HealthRegistry } from './health/registry'
import { databaseFile, dataDir } from './paths'
import type { OpenedStore } from './store/open'

const EXIT_CODES: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 }
const MIB = 1024 * 1024
/** How long the running engine has to answer before this process checks on its own. */
const ENGINE_TIMEOUT_MS = 10_000

/** The report, and whose it is: the running engine's, or this process's with the checks it could not make. */
export type HealthAnswer = HealthReport & {
  source: { engine: { pid?: number; url: string } } | { engine: null; notChecked: string[]; why: string }
}

export function addHealthCommand(program: Command): void {
  common(
    program.command('health').description("the running engine's health, else every check this process can make: exit 0 healthy, 1 degraded, 2 unhealthy"),
    true,
  )
    .option(
      '--min-free-disk <MiB>',
      `free disk below which the data directory is unhealthy, in MiB (default ${DEFAULT_MIN_FREE_DISK_BYTES / MIB})`,
      integer('--min-free-disk', 0),
    )
    .action(async (options: Common & { minFreeDisk?: number }) => {
      const minFreeDiskBytes = options.minFreeDisk === undefined ? undefined : options.minFreeDisk * MIB
      // A store named on the command line is checked itself: the engine this data directory runs may work another.
      const report = options.server
        ? await serverHealth(options.server)
        : options.store !== undefined
          ? {
              ...(await checkHealth(dataDir(options.dataDir), options.store, minFreeDiskBytes)),
              source: { engine: null, notChecked: [...ENGINE_ONLY_CHECKS], why: 'a store named with --store' },
            }
          : await answerHealth(dataDir(options.dataDir), undefined, minFreeDiskBytes)
      if (options.json) printJson(report)
      else print(formatHealth(report))
      process.exitCode = EXIT_CODES[report.status]
    })
}

async function answerHealth(dir: string, storeFlag: string | undefined, minFreeDiskBytes: number | undefined): Promise<HealthAnswer> {
  const engine = readDiscovery(dir)
  let why = 'no engine running'
  if (engine) {
    const asked = await askEngine(engine)
    if ('report' in asked) return { ...asked.report, source: { engine: { pid: engine.pid, url: asked.url } } }
    why = asked.problem
  }
  return { ...(await checkHealth(dir, storeFlag, minFreeDiskBytes)), source: { engine: null, notChecked: [...ENGINE_ONLY_CHECKS], why } }
}

/** The server's engine's own report (--server): its /health, with the token. */
async function serverHealth(server: RemoteServer): Promise<HealthAnswer> {
  const { report, url } = await remoteHealth(server)
  return { ...report, source: { engine: { url } } }
}

/** The engine's own /health: through headless mode's API with its token, else the metrics exporter (open on loopback). */
async function askEngine(engine: Discovery): Promise<{ report: HealthReport; url: string } | { problem: string }> {
  const endpoint = engine.api ?? engine.metrics
  if (!endpoint) return { problem: `the engine running (pid ${engine.pid}) has no HTTP endpoint to ask (metrics off)` }
  const url = `${endpoint.url}/health`
  try {
    const response = await fetch(url, {
      headers: endpoint.token ? { Authorization: `Bearer ${endpoint.token}` } : {},
      signal: AbortSignal.timeout(ENGINE_TIMEOUT_MS),
    })
    // 503 is an unhealthy report, still a report.
    const report = HealthReport.safeParse(await response.json())
    if (report.success) return { report: report.data, url }
    return { problem: `the engine running (pid ${engine.pid}) answered ${url} with HTTP ${response.status}, not a health report` }
  } catch (error) {
    return { problem: `the engine running (pid ${engine.pid}) did not answer ${url}: ${(error as Error).message}` }
  }
}

async function checkHealth(dir: string, storeFlag: string | undefined, minFreeDiskBytes: number | undefined): Promise<HealthReport> {
  // The store is loaded by a check made here, not by every start (nor when an engine or a server answers).
  const [{ openStore }, target] = await Promise.all([import('./store/open'), (await import('./cli-store')).storeTarget(dir, storeFlag)])
  let store: OpenedStore
  try {
    store = await openStore(target)
  } catch (error) {
    // A store that cannot even be opened is the unhealthiest answer, not a crash of the command (a team store's error names its URL).
    const detail = target.url === undefined ? `cannot open ${databaseFile(dir)}: ${(error as Error).message}` : (error as Error).message
    const registry = new HealthRegistry()
      .register({ name: 'database', critical: true, timeoutMs: 1000, check: () => ({ status: 'fail', detail }) })
      .register(freeDisk(dir, { minFreeBytes: minFreeDiskBytes }))
    return registry.report()
  }
  try {
    return await standaloneHealth(store, { minFreeDiskBytes }).report()
  } finally {
    await store.close()
  }
}

export function formatHealth(report: HealthReport & Partial<Pick<HealthAnswer, 'source'>>): string {
  const rows = [
    ['CHECK', 'STATUS', 'CRITICAL', 'DETAIL'],
    ...report.checks.map((check) => [check.name, check.status, check.critical ? 'yes' : 'no', check.detail]),
  ]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const table = rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  '))
  const source = report.source
  const whose =
    source === undefined
      ? []
      : source.engine
        ? [`reported by the engine running${source.engine.pid === undefined ? '' : ` (pid ${source.engine.pid})`} at ${source.engine.url}`]
        : [`not checked (${source.why}): ${source.notChecked.join(', ')}`]
  return [`${report.status} (checked ${new Date(report.checkedAt).toISOString()})`, ...table, ...whose].join('\n')
}
