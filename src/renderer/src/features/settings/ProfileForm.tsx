/**
 * Adding or editing a profile. The API key is write-only: a password field that is never
 * filled back; a stored key shows as "key stored", and an empty field keeps it.
 */
import { useRef, type InputHTMLAttributes } from 'react'
import { FormDialog } from '../../components/FormDialog'
import { useDialogFocus } from '../../components/use-dialog-focus'
import { PROVIDER_KINDS, PROVIDER_LABELS, type ProviderKind } from '../../../../shared/providers'
import { withCacheSystemPrompt, type ProfileDraft } from './settings'
import { useSettings } from './use-settings'

type TextField = Exclude<keyof ProfileDraft, 'editing' | 'provider' | 'config'>

function Field({ field, label, hint, ...input }: { field: TextField; label: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>) {
  const value = useSettings((state) => state.draft?.[field] ?? '')
  const editDraft = useSettings((state) => state.editDraft)
  return (
    <label className={input.type === 'password' || field === 'baseUrl' || field === 'keyFile' || field === 'fallbacks' ? 'field field-wide' : 'field'}>
      <span className="field-label">{label}</span>
      <input name={field} value={value} onChange={(event) => editDraft({ [field]: event.target.value })} {...input} />
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  )
}

export function ProfileForm() {
  const draft = useSettings((state) => state.draft)
  const hasKey = useSettings((state) => state.profiles.some((p) => p.name === state.draft?.editing && p.hasKey))
  const problem = useSettings((state) => state.formProblem)
  const saving = useSettings((state) => state.saving)
  const editDraft = useSettings((state) => state.editDraft)
  const save = useSettings((state) => state.saveProfile)
  const cancel = useSettings((state) => state.cancelEdit)
  if (!draft) return null
  const remote = draft.provider === 'openai' || draft.provider === 'anthropic'
  return (
    <FormDialog
      name="profile"
      formKey={draft.editing ?? 'new'}
      title={draft.editing ? `Edit profile ${draft.editing}` : 'Add a profile'}
      problem={problem}
      onSubmit={() => void save()}
      onClose={cancel}
      actions={
        <>
          <button type="button" className="button" onClick={cancel}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={saving} data-save-profile>
            {saving ? 'Saving…' : 'Save profile'}
          </button>
        </>
      }
    >
      <fieldset className="form-grid" disabled={saving}>
        <Field
          field="name"
          label="Name"
          autoFocus={!draft.editing}
          disabled={draft.editing !== null}
          placeholder="ollama"
          hint={draft.editing ? 'Jobs name the profile by it: it cannot change.' : 'What jobs name: lower-case letters, digits, ".", "_" or "-".'}
          autoComplete="off"
        />
        <label className="field">
          <span className="field-label">Provider</span>
          <select name="provider" value={draft.provider} onChange={(event) => editDraft({ provider: event.target.value as ProviderKind })}>
            {PROVIDER_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {PROVIDER_LABELS[kind]} ({kind})
              </option>
            ))}
          </select>
        </label>
        <Field
          field="model"
          label="Model"
          autoFocus={draft.editing !== null}
          placeholder={draft.provider === 'local' ? '/models/llama.gguf' : draft.provider === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-4o-mini'}
          autoComplete="off"
        />
        {remote && (
          <Field
            field="baseUrl"
            label="Base URL"
            placeholder="http://127.0.0.1:11434/v1"
            hint="For Ollama, vLLM, LM Studio or a proxy; empty for the provider's own."
          />
        )}
        {remote && (
          <Field
            field="keyFile"
            label="Key file"
            placeholder="/home/me/.config/genops/openai.key"
            hint="A file holding the key, readable by you only (mode 0600)."
          />
        )}
        {remote && (
          <Field
            field="apiKey"
            label="API key"
            type="password"
            autoComplete="new-password"
            placeholder={hasKey ? 'key stored: leave empty to keep it' : 'paste a key to store it encrypted'}
            hint="Write-only: GenOps never shows a stored key. Only the desktop app can keep keys (in the system keychain)."
          />
        )}
        {draft.provider === 'anthropic' && (
          <label className="field field-wide field-check">
            <input
              type="checkbox"
              name="cacheSystemPrompt"
              checked={draft.config?.cacheSystemPrompt === true}
              onChange={(event) => editDraft({ config: withCacheSystemPrompt(draft.config, event.target.checked) })}
            />
            <span>Cache the system prompt: Anthropic keeps it 5 minutes; later jobs read it at a tenth of the input price (the first writes it at 1.25x)</span>
          </label>
        )}
      </fieldset>
      <fieldset className="form-grid" disabled={saving}>
        <legend className="form-legend">Limits the scheduler keeps to (empty: none)</legend>
        <Field field="requestsPerMinute" label="Requests per minute" inputMode="numeric" placeholder="no limit" />
        <Field field="tokensPerMinute" label="Tokens per minute" inputMode="numeric" placeholder="no limit" />
        <Field field="maxConcurrent" label="At once" inputMode="numeric" placeholder="no limit" hint="Attempts running at the same time." />
      </fieldset>
      <fieldset className="form-grid" disabled={saving}>
        <legend className="form-legend">Fallbacks</legend>
        <Field
          field="fallbacks"
          label="Run on, in order"
          placeholder="none: its jobs wait"
          hint="Profiles (or profile/model), comma-separated: while this one is paused or its breaker is open, its jobs run on the first that is healthy."
        />
      </fieldset>
    </FormDialog>
  )
}

export function RemoveConfirm() {
  const name = useSettings((state) => state.confirmingRemove)
  return name ? <RemoveDialog name={name} /> : null
}

/** Mounted only while asking, so the focus goes in when it opens and back when it closes. */
function RemoveDialog({ name }: { name: string }) {
  const ref = useRef<HTMLElement>(null)
  useDialogFocus(ref)
  const remove = useSettings((state) => state.removeProfile)
  const cancel = useSettings((state) => state.cancelRemove)
  return (
    <div className="dialog-backdrop">
      <section
        ref={ref}
        className="dialog confirm-dialog"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="remove-title"
        data-confirm="remove-profile"
        onKeyDown={(event) => {
          if (event.key === 'Escape') cancel()
        }}
      >
        <div className="dialog-head">
          <h2 id="remove-title">Remove profile {name}?</h2>
        </div>
        <div className="dialog-body">
          <p>Queued jobs that name it will fail until a profile of that name exists again. Its stored key is removed with it.</p>
        </div>
        <div className="dialog-actions">
          <button type="button" className="button" autoFocus onClick={cancel}>
            Keep it
          </button>
          <button type="button" className="button button-danger button-primary" onClick={() => void remove()}>
            Remove
          </button>
        </div>
      </section>
    </div>
  )
}
