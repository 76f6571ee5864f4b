/**
 * The program's global options `--server`, `--token` and `--insecure` (GENOPS_SERVER,
 * GENOPS_TOKEN): read before the command (`genops --server URL jobs list`), so `serve`
 * keeps its own `--token`, and handed to the command's action as `options.server`.
 */
import { type Command, Option } from 'commander'
import { isLoopback } from './api/http-guards'
import { CliError } from './cli-error'
import { masked, type RemoteServer } from './cli-remote'

/** Commands that run an engine or copy the database file here: they cannot run on another machine's engine. */
const LOCAL_ONLY: Record<string, string> = {
  serve: 'it starts an engine on this machine',
  run: 'it runs the queue with an engine on this machine',
  backup: "it copies this machine's database file",
  restore: "it replaces this machine's database file",
}

/** The global options, as commander gives them (flag > variable). */
interface ServerOptions {
  server?: string
  token?: string
  insecure?: boolean
}

export function addServerOptions(program: Command): Command {
  return (
    program
      // Program options only before the command: `genops serve --token` stays serve's own.
      .enablePositionalOptions()
      .addOption(new Option('--server <url>', "drive the engine of a `genops serve` there instead of this machine's data directory").env('GENOPS_SERVER'))
      .addOption(new Option('--token <token>', "that server's API token").env('GENOPS_TOKEN'))
      .option('--insecure', 'allow plain http to a server beyond this machine (the token crosses the network in clear)')
      .hook('preAction', (_, action) => {
        const command = commandPath(action)
        const server = remoteServer(program.opts<ServerOptions>(), command)
        if (server === null) return
        const top = command.split(' ')[0]!
        if (Object.hasOwn(LOCAL_ONLY, top)) {
          throw new CliError(`\`genops ${top}\` stays on this machine (${LOCAL_ONLY[top]}): run it without --server (and GENOPS_SERVER)`, 2)
        }
        action.setOptionValue('server', server)
      })
  )
}

/** `cache stats`, `jobs list`: the command as typed, without the program's name. */
const commandPath = (command: Command): string => (command.parent ? `${commandPath(command.parent)} ${command.name()}`.trim() : '')

/**
 * The server these options name, or null to work on the local data directory (the default).
 * Refused with exit 2: a URL that is not http(s), plain http beyond this machine without
 * --insecure (the token would cross the network in clear), no token.
 */
export function remoteServer(options: ServerOptions, command: string): RemoteServer | null {
  if (options.server === undefined || options.server.trim() === '') return null
  const text = options.server.trim()
  const url = URL.canParse(text) ? new URL(text) : null
  if (url === null || !['http:', 'https:'].includes(url.protocol)) {
    throw new CliError(`--server must be an http or https URL, like https://genops.example:9465, not "${masked(text, options.token)}"`, 2)
  }
  // `genops serve` prints its address with ?token=: pasted whole, the token is taken from it.
  const token = options.token ?? url.searchParams.get('token') ?? undefined
  const base = `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !options.insecure) {
    throw new CliError(
      `--server ${base}: beyond this machine use https (over http the token crosses the network in clear), or add --insecure on a network you trust`,
      2,
    )
  }
  if (token === undefined || token === '')
    throw new CliError(`--server ${base} needs the token its \`genops serve\` was started with: --token or GENOPS_TOKEN`, 2)
  return { base, token, command }
}
