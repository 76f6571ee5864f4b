/**
 * `genops bundle`: a diagnostic bundle made beside the app (or with nothing running), for
 * a bug report. The same operation the app's menu runs; the metrics come from a running
 * engine's exporter when one answers.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { DiagnosticBundle } from '../shared/diagnostics'
import { download, remoteHandlers, type RemoteServer } from './cli-remote'
import { common, integer, print, printJson, type Common } from './cli-support'
import { scrapeMetrics } from './diagnostics/metrics-scrape'
import { formatBytes } from './health/checks'
import { dataDir } from './paths'
import { DEFAULT_EXPORTER_PORT } from './telemetry/metrics-config'

interface BundleOptions extends Common {
  out?: string
  metricsPort: number
}

export function addBundleCommand(program: Command): void {
  common(program.command('bundle').description('write a diagnostic bundle (a zip, secrets redacted) to attach to a bug report'), true)
    .option('--out <file>', 'where to write the zip (default: <data dir>/bundles/genops-bundle-<UTC time>.zip; with --server, that name in this folder)')
    .option('--metrics-port <port>', "port of a running engine's metrics exporter on 127.0.0.1", integer('--metrics-port', 1, 65535), DEFAULT_EXPORTER_PORT)
    .action(async (options: BundleOptions) => {
      const bundle = options.server ? await bundleFromServer(options.server, options.out) : await exportBundle(options)
      if (options.json) printJson(bundle)
      // A bundle with gaps is still the bundle to send: the problems are printed, the exit code stays 0.
      else print(formatBundle(bundle))
    })
}

async function exportBundle(options: BundleOptions): Promise<DiagnosticBundle> {
  const dir = dataDir(options.dataDir)
  // The store and the operations are loaded by a bundle made here, not by every start (nor by one a server makes).
  const [{ openCliStore }, { createHandlers, invoke }] = await Promise.all([import('./cli-store'), import('./operations')])
  const store = await openCliStore(options.dataDir, options.store)
  try {
    const handlers = createHandlers(store, {
      // No engine here: nothing to tell about changes, since a bundle changes nothing.
      jobsChanged() {},
      countsMayChange() {},
      abort() {},
      paused() {},
      kick() {},
      profilesChanged: async () => {},
      diagnostics: {
        dataDir: dir,
        metricsText: () => scrapeMetrics(options.metricsPort),
        ...(options.out ? { outFile: resolve(options.out) } : {}),
      },
    })
    return await invoke(handlers, 'exportBundle', {})
  } finally {
    await store.close()
  }
}

/**
 * `genops --server URL bundle`: the server's engine writes the bundle (its own metrics, health
 * and logs, redacted) into its bundles folder; it is copied here, to --out or this folder.
 */
async function bundleFromServer(server: RemoteServer, out: string | undefined): Promise<DiagnosticBundle> {
  const bundle = await remoteHandlers(server).exportBundle({})
  // The server's path may be another system's (a Windows server): its last part, either way.
  const file = bundle.path.split(/[\\/]/).at(-1)!
  const path = resolve(out ?? file)
  await download(server, 'bundles', file, path)
  return { ...bundle, path }
}

export function formatBundle(bundle: DiagnosticBundle): string {
  const lines = [`wrote ${bundle.path}`, `${formatBytes(bundle.bytes)}, ${bundle.files} files`]
  if (bundle.problems.length > 0) lines.push(`not collected (${bundle.problems.length}):`, ...bundle.problems.map((problem) => `  ${problem}`))
  return lines.join('\n')
}
