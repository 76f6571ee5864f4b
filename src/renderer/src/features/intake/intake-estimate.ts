/**
 * The drop dialog's estimate, asked of the engine (estimateIntake) when the files are checked
 * and again as the choices that change it change. Typing a model name asks once it pauses,
 * and an answer to an older question is dropped, so the estimate shown is always that of the
 * choices on screen.
 */
import type { OperationInput } from '../../../../shared/contract'
import type { Estimate } from '../../../../shared/estimate'
import type { Client } from '../../api'
import { sayProblem } from '../../words'

/** What the dialog announces in `data-estimate-state`. */
export type EstimateState = 'idle' | 'loading' | 'ready' | 'error'

export interface EstimateAnswer {
  estimate?: Estimate | null
  estimateState: EstimateState
  estimateProblem?: string | null
}

/** How long the choices must rest before the engine is asked: one question per pause in typing, not per key. */
const SETTLE_MS = 250

export function createEstimator(client: Pick<Client, 'estimateIntake'>, answer: (answer: EstimateAnswer) => void) {
  let asked = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  return {
    ask(input: OperationInput<'estimateIntake'>): void {
      clearTimeout(timer)
      const question = ++asked
      answer({ estimateState: 'loading' })
      timer = setTimeout(() => {
        void (async () => {
          try {
            const estimate = await client.estimateIntake(input)
            if (question === asked) answer({ estimate, estimateState: 'ready', estimateProblem: null })
          } catch (error) {
            if (question === asked) answer({ estimateState: 'error', estimateProblem: sayProblem(error) })
          }
        })()
      }, SETTLE_MS)
    },
    /** No answer is wanted any more (the drop was enqueued or cancelled). */
    stop(): void {
      clearTimeout(timer)
      asked++
    },
  }
}
