/**
 * The window's way to the engine: one IPC channel per contract operation, answered only
 * for our window's top frame showing our page. Every payload is validated by the engine
 * (engine.call parses it with the operation's zod schema) before any handler sees it.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { operationChannel, type IpcOutcome } from '../../shared/bridge'
import { OPERATION_NAMES, OperationError, type OperationFailure } from '../../shared/contract'
import type { Engine } from '../engine'
import type { DesktopWindow } from './window'

/** A URL without its query and fragment, so the page is compared, not its state. */
function pageOf(url: string): string {
  const parsed = new URL(url)
  parsed.search = ''
  parsed.hash = ''
  return parsed.href
}

function failure(error: unknown): OperationFailure {
  if (error instanceof OperationError) return { error: { code: error.code, message: error.message } }
  console.error('genops: operation failed:', error)
  return { error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } }
}

/** Answers the window's calls and forwards the engine's events to it. */
export function serveOperations(engine: Engine, window: DesktopWindow, pageUrl: string): void {
  /** Only our window's top frame, showing our page, may call the engine. */
  const fromOurWindow = (event: IpcMainInvokeEvent): boolean => {
    const frame = event.senderFrame
    const ours = window.current
    return ours !== undefined && event.sender === ours.webContents && frame !== null && frame.parent === null && pageOf(frame.url) === pageOf(pageUrl)
  }
  for (const name of OPERATION_NAMES) {
    ipcMain.handle(operationChannel(name), async (event, input: unknown): Promise<IpcOutcome<unknown>> => {
      if (!fromOurWindow(event)) return { error: { code: 'UNAUTHORIZED', message: `${name}: refused a call from a frame that is not the GenOps window` } }
      try {
        return { value: await engine.call(name, input) }
      } catch (error) {
        return failure(error)
      }
    })
  }
  engine.subscribe((event) => window.forward(event))
}
