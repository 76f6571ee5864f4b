/**
 * The store a local command opens: `--store`, else GENOPS_STORE, else settings.json's `store`
 * (a team's PostgreSQL queue), else the SQLite file in the data directory. The same order an
 * engine started by `serve` or `run` takes, so the CLI beside it reads the queue it works.
 */
import { CliError } from './cli-error'
import { dataDir } from './paths'
import type { ProfileKeyBox } from './secrets'
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

/**
 * How a local command seals a profile's key (`providers add --api-key-stdin`): with the team
 * key a setting names (GENOPS_TEAM_KEY_FILE, settings.json), read only when a key is sealed,
 * so a command that seals none never fails for it; with none, it keeps no keys.
 */
export async function cliKeyBox(dirOption: string | undefined, storeFlag: string | undefined): Promise<ProfileKeyBox> {
  const [{ url, dataDir: dir }, { teamKeyFileSetting }, { profileKeyBox }, { lazyTeamKeyBox }] = await Promise.all([
    storeTarget(dirOption, storeFlag),
    import('./settings/process'),
    import('./secrets'),
    import('./team-key'),
  ])
  let file: string | undefined
  try {
    file = teamKeyFileSetting(dir)
  } catch (error) {
    throw new CliError((error as Error).message, 2)
  }
  return profileKeyBox({ teamKey: file === undefined ? undefined : lazyTeamKeyBox(file), teamStore: url !== undefined })
}
