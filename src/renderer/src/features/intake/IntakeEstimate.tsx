/**
 * The drop's estimate before it is enqueued: tokens (counted or estimated, and said which),
 * cost on each lane, the jobs the response cache would answer, the time the limits make it
 * take, and, as an alert, any budget it would cross. Announced in `data-estimate-state`.
 */
import { formatEta } from '../../../../shared/batches'
import { usd } from '../../../../shared/costs'
import type { Estimate } from '../../../../shared/estimate'
import { plural } from '../../words'
import { useIntake } from './use-intake'

const tokens = (n: number) => plural(n, 'token')

function inputWords(estimate: Estimate): string {
  const methods = new Set(estimate.groups.map((group) => group.inputCounting.method))
  if (methods.size > 1) return 'counted by the model’s tokenizer where one fits, else estimated'
  const [group] = estimate.groups
  if (!group || group.inputCounting.method === 'estimate') return 'estimated: about 4 characters a token (no local tokenizer for this model)'
  return `counted with the model’s tokenizer (${group.inputCounting.encoding})`
}

function outputWords(estimate: Estimate): string {
  return estimate.groups.length === 1 ? estimate.groups[0]!.outputWords : 'by provider and model: maxTokens, the recent mean, or a default of 512'
}

function timeWords(estimate: Estimate): string {
  // The per-minute limits pace real-time calls; a provider batch is answered in its own time.
  if (estimate.lane === 'batch') return 'within 24 hours, as the provider works through the batch (most finish within an hour)'
  const limits = estimate.groups.filter((group) => group.limitWords !== 'no limit set').map((group) => group.limitWords)
  if (limits.length === 0) return 'no limit set'
  // Attempts at once alone bound nothing that is known yet: how long each answer takes.
  if (estimate.limitedMs === null) return `${limits.join('; ')}: as long as the answers take`
  return `at least ${formatEta(estimate.limitedMs)} at ${limits.join('; ')}`
}

/** A message that starts a sentence: "the day budget…" as "The day budget…". */
const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

function Figures({ estimate }: { estimate: Estimate }) {
  const lane = estimate.lane === 'batch' ? 'batch' : 'realtime'
  return (
    <dl className="estimate-figures">
      <div>
        <dt>Input</dt>
        <dd data-estimate-input={estimate.inputTokens}>
          {tokens(estimate.inputTokens)} <span className="muted">({inputWords(estimate)})</span>
        </dd>
      </div>
      <div>
        <dt>Output</dt>
        <dd data-estimate-output={estimate.outputTokens}>
          {tokens(estimate.outputTokens)} <span className="muted">({outputWords(estimate)})</span>
        </dd>
      </div>
      <div>
        <dt>Real-time</dt>
        <dd data-estimate-realtime={estimate.realtimeUsd ?? ''} data-chosen={String(lane === 'realtime')}>
          {usd(estimate.realtimeUsd)}
        </dd>
      </div>
      <div>
        <dt>Batch</dt>
        <dd data-estimate-batch={estimate.batchUsd ?? ''} data-chosen={String(lane === 'batch')}>
          {estimate.batchOffered ? `${usd(estimate.batchUsd)} (half price, within 24 hours)` : 'not offered: no batch API'}
        </dd>
      </div>
      <div>
        <dt>From the cache</dt>
        <dd data-estimate-cached={estimate.cachedJobs}>
          {estimate.cachedJobs === 0
            ? 'no job: none has a kept answer'
            : `${plural(estimate.cachedJobs, 'job')} of ${estimate.jobs.toLocaleString()}, costing nothing (${usd(estimate.cachedUsd)} saved)`}
        </dd>
      </div>
      <div>
        <dt>Time</dt>
        <dd data-estimate-time={estimate.limitedMs ?? ''}>{timeWords(estimate)}</dd>
      </div>
    </dl>
  )
}

export function IntakeEstimate() {
  const estimate = useIntake((state) => state.estimate)
  const state = useIntake((state) => state.estimateState)
  const problem = useIntake((state) => state.estimateProblem)
  if (state === 'idle') return null
  return (
    <section className="intake-estimate" aria-labelledby="intake-estimate-title" aria-busy={state === 'loading'} data-estimate-state={state}>
      <h3 id="intake-estimate-title" className="form-legend">
        Estimate {state === 'loading' && <span className="muted">(working it out…)</span>}
      </h3>
      {state === 'error' && <p className="error-text">The estimate could not be made: {problem}</p>}
      {estimate && <Figures estimate={estimate} />}
      {estimate && estimate.budgets.length > 0 && (
        <div className="form-problem" role="alert" data-budget-crossed={estimate.budgets.length}>
          <p>Enqueuing this would cross {estimate.budgets.length === 1 ? 'a budget' : `${estimate.budgets.length} budgets`}:</p>
          <ul>
            {estimate.budgets.map((budget) => (
              <li key={budget.name} data-budget={budget.name}>
                {sentence(budget.message)}
                {budget.action === 'pause' ? ': jobs past it are held.' : '.'}
              </li>
            ))}
          </ul>
        </div>
      )}
      {estimate && estimate.notes.length > 0 && (
        <ul className="estimate-notes muted">
          {estimate.notes.map((note) => (
            <li key={note}>{sentence(note)}.</li>
          ))}
        </ul>
      )}
    </section>
  )
}
