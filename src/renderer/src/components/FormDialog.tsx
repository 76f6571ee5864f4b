/**
 * A form in a modal dialog, as the profile and alert-rule editors are: a title, the fields,
 * the problem in words, the actions; Escape closes it, Tab stays inside it, and closing it
 * gives the focus back to what opened it. `name` makes the attributes tests wait on:
 * data-<name>-form="<key>", and the title's id.
 */
import { useRef, type FormEvent, type ReactNode } from 'react'
import { useDialogFocus } from './use-dialog-focus'

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
  const ref = useRef<HTMLDivElement>(null)
  useDialogFocus(ref)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    onSubmit()
  }
  return (
    <div className="dialog-backdrop">
      {/* The dialog is a box around the form: a form element may not take the dialog role. */}
      <div
        ref={ref}
        className={`dialog ${name}-dialog`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${name}-title`}
        onKeyDown={(event) => {
          if (event.key === 'Escape') onClose()
        }}
      >
        <form className="dialog-form" aria-labelledby={`${name}-title`} {...{ [`data-${name}-form`]: formKey }} onSubmit={submit}>
          <div className="dialog-head">
            <h2 id={`${name}-title`}>{title}</h2>
          </div>
          <div className="dialog-body">
            {children}
            {problem && (
              <p className="form-problem" role="alert" data-form-problem>
                {problem}
              </p>
            )}
          </div>
          <div className="dialog-actions">{actions}</div>
        </form>
      </div>
    </div>
  )
}
