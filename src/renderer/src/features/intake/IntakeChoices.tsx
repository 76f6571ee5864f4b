/** What the operator decides for a drop's jobs: provider or profile, model, priority, tags, a cap on the batch, the lane and the cache. */
import { PRIORITIES } from '../../../../shared/jobs'
import { batchOffered } from './intake'
import { useIntake } from './use-intake'

/** Real-time or the provider's batch API; batch only where the provider has one. */
function LaneChoice() {
  const lane = useIntake((state) => state.choices.lane)
  const offered = useIntake(batchOffered)
  const choose = useIntake((state) => state.choose)
  return (
    <fieldset className="field field-wide intake-lane" data-batch-offered={String(offered)}>
      <legend className="field-label">Lane</legend>
      <label className="intake-lane-option">
        <input type="radio" name="lane" value="realtime" checked={lane === 'realtime'} onChange={() => choose({ lane: 'realtime' })} />
        <span>Real-time: each job is sent when its turn comes</span>
      </label>
      {offered ? (
        <label className="intake-lane-option">
          <input type="radio" name="lane" value="batch" checked={lane === 'batch'} onChange={() => choose({ lane: 'batch' })} />
          <span>Batch: the provider&apos;s batch API, half price, answered within 24 hours</span>
        </label>
      ) : (
        <span className="field-hint">Batch is offered for providers with a batch API (OpenAI, Anthropic): choose one above.</span>
      )}
    </fieldset>
  )
}

export function IntakeChoices() {
  const choices = useIntake((state) => state.choices)
  const providers = useIntake((state) => state.providers)
  const choose = useIntake((state) => state.choose)
  const disabled = useIntake((state) => state.phase !== 'preview')
  return (
    <fieldset className="form-grid intake-choices" disabled={disabled}>
      <legend className="form-legend">For every job of this drop</legend>
      <label className="field">
        <span className="field-label">Provider or profile</span>
        <select name="provider" value={choices.provider} onChange={(event) => choose({ provider: event.target.value })}>
          <option value="">Each job&apos;s own, else the simulator</option>
          {providers.map((provider) => (
            <option key={provider.value} value={provider.value}>
              {provider.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Model</span>
        <input
          name="model"
          value={choices.model}
          placeholder="Each job's own, else the provider's"
          onChange={(event) => choose({ model: event.target.value })}
        />
      </label>
      <label className="field">
        <span className="field-label">Priority</span>
        <select name="priority" value={choices.priority} onChange={(event) => choose({ priority: event.target.value as (typeof PRIORITIES)[number] | '' })}>
          <option value="">Each job&apos;s own, else normal</option>
          {PRIORITIES.map((priority) => (
            <option key={priority} value={priority}>
              {priority}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field-label">Tags</span>
        <input
          name="tags"
          value={choices.tags}
          placeholder="comma-separated, added to each job's own"
          onChange={(event) => choose({ tags: event.target.value })}
        />
      </label>
      <label className="field">
        <span className="field-label">Batch cap</span>
        <input
          name="maxConcurrency"
          inputMode="numeric"
          value={choices.maxConcurrency}
          placeholder="no cap"
          onChange={(event) => choose({ maxConcurrency: event.target.value })}
        />
        <span className="field-hint">Most of this batch&apos;s jobs running at once, so it cannot starve other batches.</span>
      </label>
      <LaneChoice />
      <label className="field field-wide intake-check">
        <input type="checkbox" name="noCache" checked={choices.noCache} onChange={(event) => choose({ noCache: event.target.checked })} />
        <span>Don&apos;t use cached answers: every job calls its provider, even where an identical request was answered before</span>
      </label>
    </fieldset>
  )
}
