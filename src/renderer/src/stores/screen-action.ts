/**
 * A screen's actions, one at a time: while one runs its name is `busy` (its button says so,
 * a second click is ignored), its outcome becomes the screen's notice in words, and the
 * screen then refreshes to show the engine's state after it.
 */
import type { ScreenNotice } from '../components/screen'
import { sayProblem } from '../words'

export interface ActionState {
  busy: string | null
  notice: ScreenNotice | null
}

/** `act(name, action)`: runs the action (which answers what it did, in words); resolves whether it succeeded. */
export function screenAction(get: () => ActionState, set: (state: Partial<ActionState>) => void, refresh?: () => void) {
  return async function act(name: string, action: () => Promise<string>): Promise<boolean> {
    if (get().busy) return false
    set({ busy: name, notice: null })
    let done = false
    try {
      set({ notice: { tone: 'info', text: await action() } })
      done = true
    } catch (error) {
      set({ notice: { tone: 'error', text: sayProblem(error) } })
    } finally {
      set({ busy: null })
    }
    refresh?.()
    return done
  }
}
