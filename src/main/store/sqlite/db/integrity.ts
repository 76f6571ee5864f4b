/**
 * Whether the database file is sound: `PRAGMA quick_check` on a thread of its own (see
 * integrity-thread.ts), started as the engine starts and also run on each backup once it
 * is written. Until it ends the state is "checking"; damage that a read meets later (SQLite
 * says "database disk image is malformed") turns it to "damaged" too.
 */
import { isDamage } from './damage'
import type { IntegrityAnswer, IntegrityThreadData } from './integrity-thread'
import { startThread } from './thread'

export type IntegrityState =
  | { state: 'checking'; since: number }
  | { state: 'sound'; checkedAt: number; durationMs: number }
  /** What SQLite names, first problems first (quick_check stops after a few). */
  | { state: 'damaged'; problems: string[]; checkedAt: number }
  /** The check could not run to its end (the file could not be opened, the engine closed meanwhile). */
  | { state: 'unknown'; reason: string }

export interface IntegrityCheck {
  readonly file: string
  current(): IntegrityState
  /** Resolves when the check ends; never rejects. */
  readonly done: Promise<IntegrityState>
  /** Damage met after (or while) the check ran: from now on the file is damaged, whatever the check said. */
  noteDamage(problem: string): void
  /** Lets go of the thread. SQLite ends its pass before the thread can stop, so a large file may keep it a little longer. */
  stop(): void
}

export interface IntegrityOptions {
  threadFile: string
  nativeBinding?: string | undefined
  /** Problems named before quick_check stops. Default 10. */
  maxProblems?: number
  now?: () => number
}

export function startIntegrityCheck(file: string, { threadFile, nativeBinding, maxProblems = 10, now = Date.now }: IntegrityOptions): IntegrityCheck {
  const started = now()
  let state: IntegrityState = { state: 'checking', since: started }
  let finished = false
  const data: IntegrityThreadData = { file, maxProblems, nativeBinding }
  const thread = startThread(threadFile, data)
  const done = new Promise<IntegrityState>((resolve) => {
    const end = (result: IntegrityState) => {
      if (finished) return
      finished = true
      // Damage a read met meanwhile stands, whatever the check's answer; SQLite's own problems join it.
      if (state.state === 'checking') state = result
      else if (state.state === 'damaged' && result.state === 'damaged') state = { ...state, problems: [...result.problems, ...state.problems] }
      resolve(state)
    }
    thread.once('message', (answer: IntegrityAnswer) => {
      if ('problems' in answer) {
        end(
          answer.problems.length === 0
            ? { state: 'sound', checkedAt: now(), durationMs: now() - started }
            : { state: 'damaged', problems: answer.problems, checkedAt: now() },
        )
      } else if (isDamage(answer)) end({ state: 'damaged', problems: [answer.error], checkedAt: now() })
      else end({ state: 'unknown', reason: answer.error })
    })
    thread.once('error', (error) => end({ state: 'unknown', reason: `the check's thread failed: ${error.message}` }))
    thread.once('exit', (code) => end({ state: 'unknown', reason: `the check's thread exited (code ${code}) without an answer` }))
  })
  return {
    file,
    current: () => state,
    done,
    noteDamage(problem) {
      state =
        state.state === 'damaged'
          ? { ...state, problems: [...new Set([...state.problems, problem])] }
          : { state: 'damaged', problems: [problem], checkedAt: now() }
    },
    stop() {
      thread.unref()
      void thread.terminate()
    },
  }
}

/** One check of a file (a backup, or the database in a process with no engine), to its end. */
export function checkIntegrity(file: string, options: IntegrityOptions): Promise<IntegrityState> {
  return startIntegrityCheck(file, options).done
}
