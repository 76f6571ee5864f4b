/**
 * The store a local command opens: `--store`, else GENOPS_STORE, else settings.json's `store`
 * (a team's PostgreSQL queue), else the SQLite file in the data directory. The same order an
 * engine started by `serve` or `run` takes, so the CLI beside it reads the queue it works.
 */
import { CliError } from './cli-error'
import { dataDir } from './paths'
import type { OpenedStore, StoreTarget } from './store/open'

export async function storeTarget(dirOption: string | undefined, storeFlag: string | undefined): Promise<StoreTarget> {
  const dir = dataDir(dirOption)
  const [{ EngineConfig }, { processSettings }, { SettingsError }] = await Promise.all([
    import('./engine-config'),
    import('./settings/process'),
    import('./settings/catalogue'),
  ])
  try {
    const { store } = processSettings(dir, EngineConfig, storeFlag === undefined ? {} : { store: storeFlag })
    return { dataDir: dir, url: typeof store === 'string' ? store : undefined }
  } catch (error) {
    if (error instanceof SettingsError) throw new CliError(error.message, 2)
    throw error
  }
}

/** Opens it; loaded only by the commands that read or write the store themselves. */
export async function openCliStore(dirOption: string | undefined, storeFlag: string | undefined): Promise<OpenedStore> {
  const [target, { openStore }] = await Promise.all([storeTarget(dirOption, storeFlag), import('./store/open')])
  return openStore(target)
}
