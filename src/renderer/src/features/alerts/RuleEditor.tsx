/**
 * Adding or editing a rule: threshold, window, how long it must hold, how many attempts
 * count as evidence, severity, summary, on or off. A shipped default can be restored, an
 * operator's own rule removed. Problems are said in the schema's or the engine's words.
 */
import type { InputHTMLAttributes } from 'react'
import { FormDialog } from '../../components/FormDialog'
import { ALERT_OPS, ALERT_SEVERITIES, ALERT_SIGNALS, WINDOWED_SIGNALS, type AlertOp, type AlertSeverity, type AlertSignal } from '../../../../shared/alerts'
import { useRoute } from '../../shell/route'
import { thresholdWords, type RuleDraft } from './rule-draft'
import { useAlerts } from './use-alerts'

type TextField = 'name' | 'threshold' | 'window' | 'minAttempts' | 'for' | 'summary'

function Field({
  field,
  label,
  hint,
  wide,
  ...input
}: { field: TextField; label: string; hint?: string; wide?: boolean } & InputHTMLAttributes<HTMLInputElement>) {
  const value = useAlerts((state) => state.draft?.[field] ?? '')
  const editDraft = useAlerts((state) => state.editDraft)
  return (
    <label className={wide ? 'field field-wide' : 'field'}>
      <span className="field-label">{label}</span>
      <input name={field} value={value} onChange={(event) => editDraft({ [field]: event.target.value })} autoComplete="off" {...input} />
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  )
}

function Choice<T extends string>({
  name,
  label,
  value,
  options,
  disabled,
}: {
  name: keyof RuleDraft
  label: string
  value: T
  options: readonly { value: T; label: string }[]
  disabled?: boolean
}) {
  const editDraft = useAlerts((state) => state.editDraft)
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <select name={name} value={value} disabled={disabled} onChange={(event) => editDraft({ [name]: event.target.value })}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  )
}

const SIGNAL_OPTIONS = (Object.entries(ALERT_SIGNALS) as [AlertSignal, string][]).map(([value, words]) => ({ value, label: `${words} (${value})` }))
const OP_OPTIONS = ALERT_OPS.map((op) => ({ value: op, label: op }))
const SEVERITY_OPTIONS = ALERT_SEVERITIES.map((severity) => ({ value: severity, label: severity }))

function Fields({ draft }: { draft: RuleDraft }) {
  const editDraft = useAlerts((state) => state.editDraft)
  const isNew = draft.editing === null
  const words = thresholdWords(draft)
  return (
    <>
      {isNew && <Field field="name" label="Name" autoFocus placeholder="GenOpsQueueLong" hint="Letters, digits and _, as Prometheus names alerts." wide />}
      <Choice<AlertSignal> name="signal" label="Signal" value={draft.signal} options={SIGNAL_OPTIONS} disabled={!isNew} />
      <Choice<AlertOp> name="op" label="Fires when the value is" value={draft.op} options={OP_OPTIONS} />
      <Field field="threshold" label="Threshold" inputMode="decimal" autoFocus={!isNew} hint={words ? `= ${words}` : ALERT_SIGNALS[draft.signal]} />
      {WINDOWED_SIGNALS.has(draft.signal) && <Field field="window" label="Window" placeholder="5m" hint="Measured over the last…" />}
      {draft.signal === 'failure_rate' && (
        <Field
          field="minAttempts"
          label="At least"
          inputMode="numeric"
          placeholder="any number"
          hint="Attempts in the window: fewer is no evidence either way."
        />
      )}
      <Field field="for" label="For" placeholder="0s" hint="How long it must hold before it fires; 0s fires at once." />
      <Choice<AlertSeverity> name="severity" label="Severity" value={draft.severity} options={SEVERITY_OPTIONS} />
      <Field
        field="summary"
        label="Summary"
        placeholder="More than 1,000 jobs have been waiting for 5 minutes"
        hint="One line for a person: what is wrong."
        wide
      />
      <label className="field field-wide field-check">
        <input type="checkbox" name="enabled" checked={draft.enabled} onChange={(event) => editDraft({ enabled: event.target.checked })} />
        <span>Enabled: evaluated, and fires when it holds</span>
      </label>
    </>
  )
}

export function RuleEditor() {
  const draft = useAlerts((state) => state.draft)
  const problem = useAlerts((state) => state.formProblem)
  const saving = useAlerts((state) => state.saving)
  const busy = useAlerts((state) => state.busy !== null)
  const save = useAlerts((state) => state.saveRule)
  const remove = useAlerts((state) => state.removeRule)
  const cancelEdit = useAlerts((state) => state.cancelEdit)
  const go = useRoute((state) => state.go)
  if (!draft) return null
  // The editor is what the address names: closing it goes back to the screen's own address.
  const close = () => {
    cancelEdit()
    go({ rule: null })
  }
  const after = (done: Promise<boolean>) => void done.then((closed) => closed && go({ rule: null }))
  return (
    <FormDialog
      name="rule"
      formKey={draft.editing ?? 'new'}
      title={draft.editing ? `Edit ${draft.editing}` : 'Add a rule'}
      problem={problem}
      onSubmit={() => after(save())}
      onClose={close}
      actions={
        <>
          {draft.editing && (
            <button
              type="button"
              className="button button-danger rule-remove"
              disabled={saving || busy}
              data-remove-rule={draft.builtin ? 'restore' : 'remove'}
              title={draft.builtin ? 'Forget your changes to this shipped rule' : 'Remove this rule'}
              onClick={() => after(remove())}
            >
              {draft.builtin ? 'Restore default' : 'Remove'}
            </button>
          )}
          <button type="button" className="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={saving} data-save-rule>
            {saving ? 'Saving…' : 'Save rule'}
          </button>
        </>
      }
    >
      <fieldset className="form-grid" disabled={saving}>
        <Fields draft={draft} />
      </fieldset>
    </FormDialog>
  )
}
