/** What every `genops` command shares: exit codes, printing, argument parsers, the queue without an engine. */
import { type Command, InvalidArgumentError } from 'commander'
import { parseDuration } from '../shared/duration'
import { jsonSafe, terminalSafe } from '../shared/names'
import { CliError } from './cli-error'
import { remoteHandlers, type RemoteServer } from './cli-remote'
import type { Handlers } from './operations'
import type { OpenedStore } from './store/open'

export { CliError } from './cli-error'

/** Text for the terminal: a job's prompt or error could hold escapes that recolour it or forge a line. */
export const print = (text: string) => process.stdout.write(`${terminalSafe(text)}\n`)
export const printJson = (value: unknown) => process.stdout.write(`${jsonSafe(JSON.stringify(value, null, 2))}\n`)

/**
 * `genops jobs list | head -1`: once the reader has gone, end quietly, as Unix tools do.
 * They die of SIGPIPE; Node ignores that signal, so the write fails with EPIPE instead and,
 * unheard, would end the command with a stack on stderr.
 */
export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(0)
  })
}

/** An amount in USD, as an option takes it: 2.50 or $2.50. */
export function money(name: string) {
  return (text: string): number => {
    const value = Number(text.replace(/^\$/, ''))
    if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`${name} must be an amount in USD, like 2.50`)
    return value
  }
}

export function integer(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const value = Number(text)
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`)
    return value
  }
}

export function duration(text: string): number {
  try {
    return parseDuration(text)
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
}

export const jobId = integer('ID', 1)

export interface Common {
  dataDir?: string
  /** A team's PostgreSQL queue instead of the data directory's SQLite file (see cli-store). */
  store?: string
  json?: boolean
  /** The engine to drive over HTTP (`genops --server URL`), set by the program before the action; absent, the local data directory. */
  server?: RemoteServer
}

/**
 * Runs an action on the queue: a server's, through its API, or the local one without an engine, closing the database after.
 * The store and the operations are imported here, when a command first needs them: a command that
 * goes to a server, or stops at a usage error, never loads them.
 */
export async function withQueue<T>(options: Common, action: (handlers: Handlers) => Promise<T>): Promise<T> {
  if (options.server) return action(remoteHandlers(options.server))
  const [{ createHandlers }, { cliKeyBox }] = await Promise.all([import('./operations'), import('./cli-store')])
  const keys = await cliKeyBox(options.dataDir, options.store)
  return withStore(options, (store) => action(createHandlers(store, undefined, keys)))
}

/** The same with the store itself, for a command that reads more than the contract answers at once; local only. */
export async function withStore<T>(options: Common, action: (store: OpenedStore) => Promise<T>): Promise<T> {
  // Every command reaches a server through withQueue; one that reads the store itself says so rather than open a local file.
  if (options.server) {
    throw new CliError(`\`genops ${options.server.command}\` does not work with --server yet (it reads the store itself): run it on the server's machine`, 2)
  }
  const { openCliStore } = await import('./cli-store')
  const store = await openCliStore(options.dataDir, options.store)
  try {
    return await action(store)
  } catch (error) {
    // A read that meets a damaged page says which file, not just "database disk image is malformed".
    throw store.upkeep.namedDamage(error)
  } finally {
    await store.close()
  }
}

export function common(command: Command, json = false): Command {
  command.option('--data-dir <dir>', 'the data directory (default: GENOPS_DATA_DIR or the app data folder)')
  command.option(
    '--store <url>',
    "a team's PostgreSQL queue, postgres://user:password@host:5432/db (default: GENOPS_STORE, else settings.json's, else the data directory's own)",
  )
  if (json) command.option('--json', 'print JSON instead of text')
  return command
}
