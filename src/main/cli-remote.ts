/**
 * `genops --server URL --token T <command>`: the operator's commands against an engine on
 * another machine (`genops serve`), through the same contract the window speaks over HTTP,
 * instead of opening a database here. Every operation is one POST to /api/<name>; what comes
 * back is checked with the contract's output schema, and a failure keeps its code, so a
 * command prints and exits as it would locally.
 */
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream as WebReadableStream } from 'node:stream/web'
import type { z } from 'zod'
import { contract, describeZodError, OperationError, OperationFailure, OPERATION_NAMES, type OperationName, type OperationOutput } from '../shared/contract'
import { HealthReport } from '../shared/health'
import { redactWith } from '../shared/redact'
import { CliError } from './cli-error'
import type { Handlers } from './operations'
import { partialPathFor, removeAbandonedPartials } from './partial-files'

/** An engine's API the CLI drives: where, with which token, and the command that asks (for its messages). */
export interface RemoteServer {
  /** The API's base, without a trailing slash: `https://genops.example:9465`. */
  base: string
  token: string
  /** The command as typed, like `cache stats`, for messages that say what cannot run remotely. */
  command: string
}

/** A message with the token masked by its value wherever it appears (and any credential by its shape: `?token=` in a URL). */
export const masked = (text: string, token: string | undefined): string => redactWith(text, token ? [token] : [])

/** The contract's operations over HTTP: the same Handlers a local command gets from createHandlers. */
export function remoteHandlers(server: RemoteServer): Handlers {
  const call = async <K extends OperationName>(name: K, input: unknown): Promise<OperationOutput<K>> => {
    const response = await send(server, `/api/${name}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(input ?? {}) })
    // contract[name].output is the schema of OperationOutput<K>; TypeScript does not narrow it through the generic key.
    return (await answer(server, name, response, contract[name].output)) as OperationOutput<K>
  }
  return Object.fromEntries(OPERATION_NAMES.map((name) => [name, (input: unknown) => call(name, input)])) as Handlers
}

/** The engine's own report from its /health (503 is an unhealthy report, still a report). */
export async function remoteHealth(server: RemoteServer): Promise<{ report: HealthReport; url: string }> {
  const response = await send(server, '/health', { method: 'GET' })
  return { report: await answer(server, '/health', response, HealthReport, response.status === 503), url: `${server.base}/health` }
}

/** A file the engine wrote under /api/<route>/ (a batch export, a bundle), copied to `path` here: whole, or not at all. */
export async function download(server: RemoteServer, route: string, file: string, path: string): Promise<void> {
  const response = await send(server, `/api/${route}/${encodeURIComponent(file)}`, { method: 'GET' })
  // No file: what the server said instead is thrown, as for any operation.
  if (!response.ok || response.body === null) await answer(server, file, response, OperationFailure)
  // Beside the final file, as a local export is written (partial-files.ts).
  await removeAbandonedPartials(dirname(path), path)
  const temporary = partialPathFor(path)
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(temporary, { mode: 0o600 }))
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    // The export writer (and its Parquet library) is loaded only when a copy fails, not by every command.
    const { writeProblem } = await import('./batches/export/write-export')
    throw writeProblem(path, error)
  }
}

async function send(server: RemoteServer, path: string, init: RequestInit): Promise<Response> {
  try {
    // A redirect is not followed: the token goes only where --server says.
    return await fetch(`${server.base}${path}`, { ...init, headers: { ...init.headers, Authorization: `Bearer ${server.token}` }, redirect: 'error' })
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    const why = cause?.code ?? cause?.message ?? (error as Error).message
    // A certificate this machine does not trust is a different fix from a server that is down.
    const todo = /CERT|UNABLE_TO_VERIFY/.test(why)
      ? "its certificate is not trusted here: give its CA's file with NODE_EXTRA_CA_CERTS"
      : 'is `genops serve` running there? check --server'
    throw new CliError(masked(`cannot reach the GenOps server at ${server.base} (${why}): ${todo}`, server.token))
  }
}

/**
 * The body of an answer, checked with `schema`; a failure as the OperationError it was on
 * the server (its code decides the exit code), a wrong token or a stranger as one line that
 * names the URL and what to do.
 */
async function answer<T extends z.ZodType>(server: RemoteServer, what: string, response: Response, schema: T, always = false): Promise<z.output<T>> {
  const body: unknown = await response.json().catch(() => undefined)
  if (response.status === 401) {
    throw new CliError(`the GenOps server at ${server.base} refused the token: give the one its \`genops serve\` was started with (--token or GENOPS_TOKEN)`)
  }
  if (response.ok || always) {
    const parsed = schema.safeParse(body)
    if (parsed.success) return parsed.data
    throw new CliError(
      masked(`${server.base} answered ${what} with something else (${describeZodError(parsed.error)}): is it a GenOps server of this version?`, server.token),
    )
  }
  const failure = OperationFailure.safeParse(body)
  if (failure.success) throw new OperationError(failure.data.error.code, masked(failure.data.error.message, server.token))
  throw new CliError(`${server.base} answered ${what} with HTTP ${response.status}, not GenOps: check --server`)
}
