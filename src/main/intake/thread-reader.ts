/**
 * The main thread's side of the intake thread (intake-thread.ts): starts it and yields its
 * messages one an event-loop turn, however many arrived together, so that what the caller
 * does with each (parse a thousand jobs, write them) never adds up into one long pause.
 * The thread is ended when the caller stops reading: at the last message, a refusal, or
 * sooner (a load that failed).
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { INTAKE_THREAD_FILE } from '../paths'
import { FLOW_TAKEN, type IntakeThreadData, type IntakeThreadMessage } from './thread-protocol'
import { fileLabel, refused } from './problems'

export async function* intakeThreadMessages(data: IntakeThreadData, threadFile = INTAKE_THREAD_FILE): AsyncGenerator<IntakeThreadMessage, void, void> {
  const file = fileLabel('path' in data ? data.path : data.name)
  // From source (tsx, vitest) the thread is TypeScript. Node 20 does not apply `--import tsx`
  // to a worker's entry, so a one-line JavaScript entry loads it through tsx's API.
  const url = JSON.stringify(pathToFileURL(threadFile).href)
  const flow = new SharedArrayBuffer(4)
  const taken = new Int32Array(flow)
  const workerData: IntakeThreadData = { ...data, flow }
  const thread = threadFile.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${url}, ${url}))`, { eval: true, workerData })
    : new Worker(threadFile, { workerData })
  const waiting: IntakeThreadMessage[] = []
  let wake: (() => void) | undefined
  const arrived = (message: IntakeThreadMessage) => {
    waiting.push(message)
    wake?.()
  }
  const stopped = (why: string) => arrived({ type: 'refused', result: refused(file, `the file could not be parsed: ${why}`) })
  thread.on('message', arrived)
  thread.on('error', (error) => stopped(error.message))
  thread.on('exit', (code) => stopped(`the intake thread stopped (exit code ${code})`))
  try {
    for (;;) {
      while (waiting.length === 0) await new Promise<void>((resolve) => (wake = resolve))
      const message = waiting.shift()!
      yield message
      if (message.type === 'refused' || (message.type === 'jobs' && message.last)) return
      // Done with it: the thread may send one more.
      if (message.type === 'jobs') {
        Atomics.add(taken, FLOW_TAKEN, 1)
        Atomics.notify(taken, FLOW_TAKEN)
      }
      await nextTurn()
    }
  } finally {
    thread.removeAllListeners()
    void thread.terminate()
  }
}
