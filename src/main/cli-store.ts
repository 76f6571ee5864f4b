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
  const { storeSetting } = await import('./settings/process')
  try {
    return { dataDir: dir, url: storeSetting(dir, storeFlag) }
  } catch (error) {
    // A settings problem is a usage error that names the file, the key and why.
    throw new CliError((error as Error).message, 2)
  }
}

/** For the commands that only ever work on the data directory's own SQLite file: refused, in one line, when a team store is named. */
export async function refuseTeamStore(dirOption: string | undefined, storeFlag: string | undefined, what: string): Promise<void> {
  const { url } = await storeTarget(dirOption, storeFlag)
  if (url === undefined) return
  const { maskUrl } = await import('./store/postgres/connect')
  throw new CliError(
    `${what} works on a data directory's own SQLite file, and this one works on the team store ${maskUrl(url)}: use the server's own tools (pg_dump, pg_restore)`,
    2,
  )
}

/** Opens it; loaded only by the commands that read or write the store themselves. */
export async function openCliStore(dirOption: string | undefined, storeFlag: string | undefined): Promise<OpenedStore> {
  const [target, { openStore }] = await Promise.all([storeTarget(dirOption, storeFlag), import('./store/open')])
  return openStore(target)
}
