/** The files of a drop: how many jobs each gives, or every problem with its line. */
import type { IntakeFile } from '../../../../shared/intake'
import { plural } from '../../words'

function FileProblems({ file }: { file: IntakeFile }) {
  return (
    <ol className="intake-errors" aria-label={`Problems in ${file.name}`}>
      {file.errors.map((error, i) => (
        <li key={i} data-intake-error={error}>
          {error}
        </li>
      ))}
      {file.moreErrors > 0 && <li className="muted">… and {plural(file.moreErrors, 'more problem')}</li>}
    </ol>
  )
}

export function IntakeFiles({ files }: { files: IntakeFile[] }) {
  return (
    <ul className="intake-files" aria-label="Files">
      {files.map((file, i) => (
        <li key={`${i}:${file.name}`} className="intake-file" data-intake-file={file.name} data-file-ok={String(file.ok)} data-jobs={file.jobs}>
          <div className="intake-file-head">
            <span className={file.ok ? 'intake-mark intake-mark-ok' : 'intake-mark intake-mark-bad'} aria-hidden="true">
              {file.ok ? '✓' : '✕'}
            </span>
            <span className="intake-file-name">{file.name}</span>
            {file.format && <span className="intake-format">{file.format}</span>}
            <span className="intake-file-count">{file.ok ? plural(file.jobs, 'job') : 'refused: nothing from it is enqueued'}</span>
          </div>
          {!file.ok && <FileProblems file={file} />}
        </li>
      ))}
    </ul>
  )
}
