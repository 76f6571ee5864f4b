/**
 * The preload bridge: one named function per contract operation, each on its own IPC
 * channel, and the event feed. Never a generic invoke(channel, ...): the renderer can
 * reach exactly the operations the contract declares and nothing else.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { EVENT_CHANNEL, LISTENING_CHANNEL, operationChannel, type Bridge, type IpcOutcome } from '../shared/bridge'
import { OPERATION_NAMES, type Api, type EngineEvent, type OperationName } from '../shared/contract'

function operation(name: OperationName) {
  return async (input: unknown): Promise<unknown> => {
    const outcome = (await ipcRenderer.invoke(operationChannel(name), input)) as IpcOutcome<unknown>
    // Only an error's message survives the context bridge, so the code leads it: "NOT_FOUND: job 7 does not exist".
    if ('error' in outcome) throw new Error(`${outcome.error.code}: ${outcome.error.message}`)
    return outcome.value
  }
}

const operations = Object.fromEntries(OPERATION_NAMES.map((name) => [name, operation(name)])) as Api

const bridge = {
  ...operations,
  onEvent(listener: (event: EngineEvent) => void) {
    const forward = (_event: IpcRendererEvent, engineEvent: EngineEvent) => listener(engineEvent)
    ipcRenderer.on(EVENT_CHANNEL, forward)
    ipcRenderer.send(LISTENING_CHANNEL)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward)
    }
  },
} satisfies Bridge

contextBridge.exposeInMainWorld('api', bridge)
