/**
 * The contract's `exportBundle`, spread into createHandlers (operations.ts). It calls the
 * other operations through `call`, so the bundle holds what the app and the CLI would show.
 */
import { OperationError, type OperationHandlers } from '../../shared/contract'
import { holdProfileKeys } from '../queue/profiles'
import type { QueueStore } from '../queue/store'
import { genopsVersion } from '../telemetry/version'
import { bundleFile, writeBundle, type BundleLimits } from './bundle-writer'
import { scrubber } from './scrub'
import { bundleSections, type Call } from './sections'

/** What a bundle needs from the process that makes it: the engine, or the CLI. */
export interface DiagnosticsRuntime {
  dataDir: string
  /** The /metrics text (the engine's own, or the CLI's scrape of a running one); null when there are none. */
  metricsText(): Promise<string | null>
  /** Where the zip goes instead of <dataDir>/bundles (the CLI's --out). */
  outFile?: string
  /** Bounds of the whole bundle (tests make them small). */
  limits?: BundleLimits
}

export function bundleHandlers(call: Call, store: QueueStore, runtime: DiagnosticsRuntime | undefined): OperationHandlers<'exportBundle'> {
  return {
    exportBundle: async () => {
      const diagnostics = runtime ?? standalone(store)
      // The profiles' keys, masked by value in every file of the bundle (a CLI process has not read them yet).
      holdProfileKeys(await store.listProfiles(), [])
      const now = new Date()
      const version = genopsVersion()
      return writeBundle({
        file: diagnostics.outFile ?? bundleFile(diagnostics.dataDir, now),
        sections: bundleSections({
          call,
          dataDir: diagnostics.dataDir,
          genopsVersion: version,
          metricsText: diagnostics.metricsText,
          storeFiles: store.upkeep.bundleFiles,
        }),
        scrub: scrubber(),
        genopsVersion: version,
        now,
        limits: diagnostics.limits,
      })
    },
  }
}

/** Without a runtime (handlers made over a bare store): the store's data directory, and no metrics. */
function standalone(store: QueueStore): DiagnosticsRuntime {
  const { dataDir } = store.upkeep
  if (dataDir === null) throw new OperationError('INTERNAL', `a diagnostic bundle needs a data directory, and ${store.upkeep.name} has none`)
  return { dataDir, metricsText: async () => null }
}
