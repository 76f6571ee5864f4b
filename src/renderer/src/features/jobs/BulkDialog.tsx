/** Confirms a bulk cancel or retry, shows its progress, then what was done and what was skipped, and why. */
import { useEffect, useRef } from 'react'
import { useDialogFocus } from '../../components/use-dialog-focus'
import { formatCount } from './format'
import { useBulk } from './use-jobs'

const WORDS = {
  cancel: { verb: 'Cancel', done: 'Cancelled', explain: 'Queued jobs are cancelled at once; running ones are stopped and keep the attempt they were on.' },
  retry: { verb: 'Retry', done: 'Retried', explain: 'Each job goes back to the queue with fresh attempts.' },
} as const

/** Skipped jobs listed by id; the rest are counted. */
const LISTED = 20

export function BulkDialog() {
  const open = useBulk((state) => state.phase !== 'idle' && state.action !== null)
  return open ? <BulkBox /> : null
}

/** Mounted only while open, so the focus goes in when it opens and back when it closes. */
function BulkBox() {
  const box = useRef<HTMLDivElement>(null)
  useDialogFocus(box)
  const phase = useBulk((state) => state.phase)
  const action = useBulk((state) => state.action)
  const total = useBulk((state) => state.ids.length)
  const processed = useBulk((state) => state.processed)
  const done = useBulk((state) => state.done)
  const skipped = useBulk((state) => state.skipped)
  const failure = useBulk((state) => state.failure)
  const stopping = useBulk((state) => state.stopping)
  const confirm = useBulk((state) => state.confirm)
  const stop = useBulk((state) => state.stop)
  const close = useBulk((state) => state.close)
  const first = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    first.current?.focus()
  }, [phase])
  if (phase === 'idle' || !action) return null
  const words = WORDS[action]
  const percent = total === 0 ? 100 : Math.round((processed / total) * 100)
  const jobs = (n: number) => `${formatCount(n)} ${n === 1 ? 'job' : 'jobs'}`
  return (
    <div className="dialog-backdrop">
      <div
        ref={box}
        className="dialog bulk-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="bulk-title"
        data-bulk-state={phase}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && phase !== 'running') close()
        }}
      >
        <div className="dialog-head">
          <h2 id="bulk-title">{phase === 'done' ? `${words.done} ${jobs(done)}` : `${words.verb} ${jobs(total)}?`}</h2>
        </div>
        <div className="dialog-body">
          {phase === 'confirm' && <p>{words.explain}</p>}
          {phase !== 'confirm' && (
            <div className="bulk-progress">
              <div className="progress" role="progressbar" aria-label={`${words.verb} progress`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
                <div className="progress-fill" style={{ width: `${percent}%` }} />
              </div>
              <span className="progress-text">
                {formatCount(processed)} of {formatCount(total)}
              </span>
            </div>
          )}
          {failure && <p className="error-text">Stopped: {failure}</p>}
          {phase === 'done' && skipped.length > 0 && (
            <div className="bulk-skipped" data-skipped={skipped.length}>
              <p>{jobs(skipped.length)} left as they were:</p>
              <ul>
                {skipped.slice(0, LISTED).map((skip) => (
                  <li key={skip.id}>{skip.reason}</li>
                ))}
              </ul>
              {skipped.length > LISTED && <p className="muted">and {formatCount(skipped.length - LISTED)} more</p>}
            </div>
          )}
        </div>
        <div className="dialog-actions">
          {phase === 'confirm' && (
            <>
              <button type="button" className="button" onClick={close}>
                Go back
              </button>
              <button ref={first} type="button" className="button button-primary" data-bulk-confirm onClick={() => void confirm()}>
                {words.verb} {jobs(total)}
              </button>
            </>
          )}
          {phase === 'running' && (
            <button ref={first} type="button" className="button" disabled={stopping} onClick={stop}>
              {stopping ? 'Stopping…' : 'Stop'}
            </button>
          )}
          {phase === 'done' && (
            <button ref={first} type="button" className="button button-primary" data-bulk-close onClick={close}>
              Close
            </button>
          )}
        </div>
      </div>
    </div>
  )
}
