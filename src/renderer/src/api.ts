/**
 * The renderer's one way to the engine. In the desktop app that is the preload's
 * `window.api`; in a browser served by `genops serve` it is HTTP and server-sent events,
 * with a client derived from the same contract. Everything else in the renderer sees
 * only `Client` and never knows which of the two it has.
 */
import type { Bridge } from '../../shared/bridge'
import {
  ERROR_CODES,
  events,
  OPERATION_NAMES,
  OperationFailure,
  type Api,
  type EngineEvent,
  type ErrorCode,
  type EventName,
  type OperationName,
} from '../../shared/contract'
import { openEventStream, type SseMessage, type StreamStatus } from './sse'

export type Connection = StreamStatus

export interface Client extends Api {
  /** Engine events; returns the function that stops them. */
  onEvent(listener: (event: EngineEvent) => void): () => void
  /** The event feed's health: the header shows it and the stores refetch after a gap. */
  onConnection(listener: (connection: Connection) => void): () => void
  /** An export the engine wrote (exportBatch), fetched to be saved; null where there is no HTTP (the desktop app shows its path instead). */
  fetchExport(file: string): Promise<Blob | null>
}

/** A failed call, with the contract's code (or NETWORK when the engine could not be reached). */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly code: ErrorCode | 'NETWORK',
    message: string,
  ) {
    super(message)
  }
}

const TOKEN_KEY = 'genops.token'

/**
 * The token `genops serve` printed in the URL: kept for this tab in sessionStorage and
 * taken out of the address bar, so it is not left in history or a screenshot.
 */
function takeToken(): string | null {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`)
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

const STATUS_CODES: Record<number, ErrorCode> = { 400: 'INVALID_INPUT', 401: 'UNAUTHORIZED', 404: 'NOT_FOUND', 409: 'CONFLICT' }

/** Parses one SSE message into an engine event, or undefined (with a warning) if it is not one. */
export function toEngineEvent(message: SseMessage): EngineEvent | undefined {
  if (!Object.hasOwn(events, message.event)) return undefined
  const type = message.event as EventName
  try {
    const parsed = events[type].safeParse(JSON.parse(message.data))
    if (parsed.success) return { type, data: parsed.data } as EngineEvent
    console.warn(`genops: dropped a malformed "${type}" event`, parsed.error.issues)
  } catch (error) {
    console.warn(`genops: dropped a "${type}" event that is not JSON`, error)
  }
  return undefined
}

function httpClient(): Client {
  const token = takeToken()
  const headers = (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {})

  async function call(name: OperationName, input: unknown): Promise<unknown> {
    let response: Response
    try {
      response = await fetch(`/api/${name}`, {
        method: 'POST',
        headers: { ...headers(), 'Content-Type': 'application/json' },
        body: JSON.stringify(input ?? {}),
        cache: 'no-store',
      })
    } catch (error) {
      throw new ApiError('NETWORK', `${name}: the GenOps server did not answer (${error instanceof Error ? error.message : String(error)})`)
    }
    const body: unknown = await response.json().catch(() => undefined)
    if (response.ok) return body
    const failure = OperationFailure.safeParse(body)
    if (failure.success) throw new ApiError(failure.data.error.code, failure.data.error.message)
    throw new ApiError(STATUS_CODES[response.status] ?? 'INTERNAL', `${name}: the server answered ${response.status} ${response.statusText}`)
  }

  const listeners = new Set<(event: EngineEvent) => void>()
  const watchers = new Set<(connection: Connection) => void>()
  let connection: Connection = 'connecting'
  let stop: (() => void) | undefined

  // One stream for all listeners, open while anyone listens.
  function listen<T>(set: Set<T>, item: T): () => void {
    set.add(item)
    stop ??= openEventStream({
      url: '/api/events',
      headers,
      onMessage(message) {
        const event = toEngineEvent(message)
        if (event) for (const listener of listeners) listener(event)
      },
      onStatus(status) {
        connection = status
        for (const watcher of watchers) watcher(status)
      },
    })
    return () => {
      set.delete(item)
      if (listeners.size === 0 && watchers.size === 0) {
        stop?.()
        stop = undefined
        connection = 'connecting'
      }
    }
  }

  const operations = Object.fromEntries(OPERATION_NAMES.map((name) => [name, (input: unknown) => call(name, input)])) as Api
  return {
    ...operations,
    async fetchExport(file) {
      const response = await fetch(`/api/exports/${encodeURIComponent(file)}`, { headers: headers(), cache: 'no-store' }).catch((error: unknown) => {
        throw new ApiError('NETWORK', `the GenOps server did not answer (${error instanceof Error ? error.message : String(error)})`)
      })
      if (!response.ok)
        throw new ApiError(STATUS_CODES[response.status] ?? 'INTERNAL', `${file}: the server answered ${response.status} ${response.statusText}`)
      return response.blob()
    },
    onEvent: (listener) => listen(listeners, listener),
    onConnection(watcher) {
      const unlisten = listen(watchers, watcher)
      watcher(connection)
      return unlisten
    },
  }
}

const CODE_PREFIX = new RegExp(`^(?:Error: )?(${ERROR_CODES.join('|')}): `)

/** The desktop bridge, with its errors turned back into ApiErrors (the preload puts the code first). */
function desktopClient(bridge: Bridge): Client {
  const call = (name: OperationName) => async (input: unknown) => {
    try {
      return await (bridge[name] as (input: unknown) => Promise<unknown>)(input)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      const match = CODE_PREFIX.exec(message)
      throw match ? new ApiError(match[1] as ErrorCode, message.slice(match[0].length)) : new ApiError('INTERNAL', message)
    }
  }
  const operations = Object.fromEntries(OPERATION_NAMES.map((name) => [name, call(name)])) as Api
  return {
    ...operations,
    fetchExport: async () => null,
    onEvent: (listener) => bridge.onEvent(listener),
    onConnection(watcher) {
      // IPC does not drop: the desktop feed is live for as long as the window is.
      watcher('live')
      return () => {}
    },
  }
}

export function createClient(): Client {
  return window.api ? desktopClient(window.api) : httpClient()
}
