/** "Choose files…": the same intake as a drop, for those who would rather pick the files. */
import { openFilePicker, useIntake } from './use-intake'

export function ChooseFilesButton({ primary = false }: { primary?: boolean }) {
  const busy = useIntake((state) => state.phase === 'reading' || state.phase === 'committing')
  return (
    <button type="button" className={primary ? 'button button-primary' : 'button'} data-choose-files disabled={busy} onClick={openFilePicker}>
      Choose files…
    </button>
  )
}
