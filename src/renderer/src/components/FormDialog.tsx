/**
 * A form in a modal dialog, as the profile and alert-rule editors are: a title, the fields,
 * the problem in words, the actions; Escape closes it. `name` makes the attributes tests
 * wait on: data-<name>-form="<key>", and the title's id.
 */
import type { FormEvent, ReactNode } from 'react'

export interface FormDialogProps {
  name: string
  /** What is being edited, or "new". */
  formKey: string
  title: string
  problem: string | null
  onSubmit(): void
  onClose(): void
  /** The footer's buttons. */
  actions: ReactNode
  children: ReactNode
}

export function FormDialog({ name, formKey, title, problem, onSubmit, onClose, actions, children }: FormDialogProps) {
  const submit = (event: FormEvent) => {
    event.preventDefault()
    onSubmit()
  }
  return (
    <div className="dialog-backdrop">
      <form
        className={`dialog ${name}-dialog`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${name}-title`}
        {...{ [`data-${name}-form`]: formKey }}
        onSubmit={submit}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onClose()
        }}
      >
        <header className="dialog-head">
          <h2 id={`${name}-title`}>{title}</h2>
        </header>
        <div className="dialog-body">
          {children}
          {problem && (
            <p className="form-problem" role="alert" data-form-problem>
              {problem}
            </p>
          )}
        </div>
        <footer className="dialog-actions">{actions}</footer>
      </form>
    </div>
  )
}
