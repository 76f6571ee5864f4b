/** What the operator decides for a drop's jobs: provider or profile, model, priority, tags, and a cap on the batch. */
import { PRIORITIES } from '../../../../shared/jobs'
import { useIntake } from './use-intake'

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
    </fieldset>
  )
}
