/**
 * The desktop bridge: what the preload exposes as `window.api`, and how the main process
 * answers it over IPC. Shared by the shell, the preload and the renderer so the channel
 * names and the shapes on either side of the wire are written once.
 */
import type { Api, EngineEvent, OperationFailure, OperationName } from './contract'

/** `window.api` in the desktop app: one named function per operation, plus the event feed. */
export type Bridge = Api & {
  /** Calls `listener` with every engine event; returns the function that stops it. */
  onEvent(listener: (event: EngineEvent) => void): () => void
}

/**
 * What an operation's IPC channel resolves with. A failure travels as a value, not a
 * rejection: Electron keeps only the message of an error thrown across IPC, and the code
 * is what the renderer decides on.
 */
export type IpcOutcome<T> = { value: T } | OperationFailure

export const EVENT_CHANNEL = 'genops:event'

/** The page says it listens for events: the shell's own (files handed over before it ran) wait for this. */
export const LISTENING_CHANNEL = 'genops:listening'

export const operationChannel = (name: OperationName): `genops:${OperationName}` => `genops:${name}`
