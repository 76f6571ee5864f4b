/**
 * Drag-in: files held over the window show the overlay; dropped (or chosen with "Choose
 * files…"), they are read and checked, and the summary dialog says how many jobs come
 * from which files and what is wrong with the others, line by line, before anything is
 * enqueued. The state is announced in `data-intake-state` for tests and assistive tools.
 */
import { useEffect, useRef } from 'react'
import { INTAKE_EXTENSIONS } from '../../../../shared/intake'
import { useDialogFocus } from '../../components/use-dialog-focus'
import { useRoute } from '../../shell/route'
import { formatBytes, plural } from '../../words'
import { formatCount } from '../jobs/format'
import { IntakeChoices } from './IntakeChoices'
import { IntakeEstimate } from './IntakeEstimate'
import { IntakeFiles } from './IntakeFiles'
import { FILE_INPUT_ID, useIntake, useIntakeStore, useWindowDrop } from './use-intake'
import './intake.css'

const ACCEPT = INTAKE_EXTENSIONS.join(',')

function Progress() {
  const progress = useIntake((state) => state.progress)
  if (!progress) return null
  const { checked } = progress
  // A big file being checked shows how far the engine read it; otherwise the bytes read across the drop.
  const [done, total] = checked ? [checked.line, checked.lines] : [progress.doneBytes, progress.totalBytes]
  const percent = total > 0 ? Math.round((done / total) * 100) : 0
  const step = progress.step === 'reading' ? 'Reading' : 'Checking'
  const amount = checked
    ? `line ${formatCount(checked.line)} of ${formatCount(checked.lines)}`
    : `${formatBytes(progress.doneBytes)} of ${formatBytes(progress.totalBytes)}`
  return (
    <div className="intake-progress">
      <div className="progress" role="progressbar" aria-label="Reading the dropped files" aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p className="muted" data-intake-step={progress.step}>
        {step} {progress.name} ({progress.file} of {progress.files}) · {amount}
      </p>
    </div>
  )
}

/** A big drop's load into the queue (from 5,000 jobs it loads in slices), told by the engine as it goes. */
function LoadBar() {
  const load = useIntake((state) => state.load)
  if (!load) return null
  const done = load.loaded >= load.total
  const percent = done ? 100 : Math.floor((load.loaded / load.total) * 100)
  return (
    <div className="intake-progress" data-load-state={done ? 'done' : 'loading'} data-loaded={load.loaded} data-load-total={load.total}>
      <div
        className="progress"
        role="progressbar"
        aria-label="Loading the jobs into the queue"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${load.loaded.toLocaleString()} of ${plural(load.total, 'job')}`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <p className="muted">{done ? `Loaded all ${plural(load.total, 'job')}.` : `Loaded ${load.loaded.toLocaleString()} of ${plural(load.total, 'job')}…`}</p>
    </div>
  )
}

/** Said to assistive tools once when a big load starts and once when it is whole; the bar itself is not read out at every step. */
function LoadAnnouncement() {
  const load = useIntake((state) => state.load)
  const words = load === null ? '' : load.loaded >= load.total ? `All ${plural(load.total, 'job')} loaded.` : `Loading ${plural(load.total, 'job')}…`
  return (
    <p className="visually-hidden" role="status" data-load-announcement>
      {words}
    </p>
  )
}

function Summary() {
  const files = useIntake((state) => state.files)
  const totalJobs = useIntake((state) => state.totalJobs)
  const good = files.filter((file) => file.ok).length
  const refused = files.length - good
  return (
    <div className="intake-summary" data-total-jobs={totalJobs} data-refused-files={refused}>
      <p>
        <strong>{plural(totalJobs, 'job')}</strong> from {plural(good, 'file')} will be enqueued as one batch.
      </p>
      {refused > 0 && (
        <p className="error-text" data-refused-note>
          {plural(refused, 'file')} refused: nothing from {refused === 1 ? 'it' : 'them'} is enqueued. Fix {refused === 1 ? 'it' : 'them'} and drop{' '}
          {refused === 1 ? 'it' : 'them'} again.
        </p>
      )}
    </div>
  )
}

function Done() {
  const committed = useIntake((state) => state.committed)
  const close = useIntake((state) => state.close)
  const go = useRoute((state) => state.go)
  if (!committed) return null
  const added = committed.jobIds.length - committed.duplicates
  return (
    <>
      <div className="dialog-body" data-batch-id={committed.batchId}>
        <LoadBar />
        <p>
          Enqueued <strong>{plural(added, 'job')}</strong> as batch {committed.batchId}, “{committed.batchName}”.
          {committed.duplicates > 0 &&
            ` ${plural(committed.duplicates, 'job')} already known by idempotency key ${committed.duplicates === 1 ? 'was' : 'were'} not added again.`}
        </p>
        {committed.refusedFiles.length > 0 && <p className="muted">Nothing was enqueued from {committed.refusedFiles.join(', ')}.</p>}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={close}>
          Close
        </button>
        <button
          type="button"
          className="button button-primary"
          autoFocus
          onClick={() => {
            close()
            go({ screen: 'jobs' })
          }}
        >
          Show jobs
        </button>
      </div>
    </>
  )
}

function Preview() {
  const phase = useIntake((state) => state.phase)
  const files = useIntake((state) => state.files)
  const totalJobs = useIntake((state) => state.totalJobs)
  const problem = useIntake((state) => state.problem)
  const commit = useIntake((state) => state.commit)
  const cancel = useIntake((state) => state.cancel)
  const reading = phase === 'reading'
  const enqueue = useRef<HTMLButtonElement>(null)
  const cancelButton = useRef<HTMLButtonElement>(null)
  // The buttons were there while the files were read: once checked, the focus goes to what comes next.
  useEffect(() => {
    if (phase === 'preview') (totalJobs > 0 ? enqueue : cancelButton).current?.focus()
  }, [phase, totalJobs])
  return (
    <>
      <div className="dialog-body">
        {reading ? <Progress /> : <Summary />}
        <IntakeFiles files={files} />
        {!reading && totalJobs > 0 && <IntakeChoices />}
        {!reading && totalJobs > 0 && <IntakeEstimate />}
        {phase === 'committing' && <LoadBar />}
        {problem && (
          <p className="form-problem" role="alert" data-intake-problem>
            {problem}
          </p>
        )}
      </div>
      <div className="dialog-actions">
        <span className="muted dialog-hint">{reading ? '' : 'Drop more files to add them to this batch.'}</span>
        <button ref={cancelButton} type="button" className="button" onClick={() => void cancel()}>
          Cancel
        </button>
        <button
          ref={enqueue}
          type="button"
          className="button button-primary"
          data-intake-enqueue
          disabled={phase !== 'preview' || totalJobs === 0}
          onClick={() => void commit()}
        >
          {phase === 'committing' ? 'Enqueuing…' : totalJobs === 0 ? 'Nothing to enqueue' : `Enqueue ${plural(totalJobs, 'job')}`}
        </button>
      </div>
    </>
  )
}

function Failed() {
  const problem = useIntake((state) => state.problem)
  const close = useIntake((state) => state.close)
  return (
    <>
      <div className="dialog-body">
        <p className="form-problem" role="alert" data-intake-problem>
          {problem}
        </p>
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" autoFocus onClick={close}>
          Close
        </button>
      </div>
    </>
  )
}

const TITLES = {
  reading: 'Reading the files…',
  preview: 'Enqueue these prompt files?',
  committing: 'Enqueuing…',
  done: 'Enqueued',
  error: 'The files could not be read',
} as const

/** Escape closes the dialog wherever the focus is: after Enqueue or an error it closes, before it the drop is discarded. */
function useEscape(): void {
  const store = useIntakeStore()
  const open = useIntake((state) => state.phase !== 'idle')
  useEffect(() => {
    if (!open) return
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return
      const { phase, close, cancel } = store.getState()
      if (phase === 'done' || phase === 'error') close()
      else if (phase !== 'committing') void cancel()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [open, store])
}

function Dialog() {
  const open = useIntake((state) => state.phase !== 'idle')
  useEscape()
  return open ? <DialogBox /> : null
}

/** Mounted only while open, so the focus goes in when it opens and back when it closes. */
function DialogBox() {
  const ref = useRef<HTMLElement>(null)
  useDialogFocus(ref)
  const phase = useIntake((state) => state.phase)
  if (phase === 'idle') return null
  return (
    <div className="dialog-backdrop">
      <section
        ref={ref}
        className="dialog intake-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="intake-title"
        aria-busy={phase === 'reading' || phase === 'committing'}
      >
        <div className="dialog-head">
          <h2 id="intake-title">{TITLES[phase]}</h2>
        </div>
        {phase === 'done' ? <Done /> : phase === 'error' ? <Failed /> : <Preview />}
        <LoadAnnouncement />
      </section>
    </div>
  )
}

function FileInput() {
  const store = useIntakeStore()
  return (
    <input
      id={FILE_INPUT_ID}
      type="file"
      multiple
      accept={ACCEPT}
      hidden
      data-intake-input
      onChange={(event) => {
        const files = Array.from(event.target.files ?? [])
        // Cleared so choosing the same file again is a change too.
        event.target.value = ''
        void store.getState().take(files)
      }}
    />
  )
}

export function DropOverlay() {
  const store = useIntakeStore()
  useWindowDrop(store)
  const dragging = useIntake((state) => state.dragging)
  const phase = useIntake((state) => state.phase)
  const adding = phase === 'preview'
  return (
    <div className="intake" data-intake-state={dragging ? 'dragging' : phase}>
      <FileInput />
      <Dialog />
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div className="drop-target">
            <p className="drop-title">{adding ? 'Drop to add these files to the batch' : 'Drop prompt files to preview them'}</p>
            <p className="muted">{INTAKE_EXTENSIONS.join(', ')} · up to 20 files, 64 MiB each · nothing is enqueued until you say so</p>
          </div>
        </div>
      )}
    </div>
  )
}
