/**
 * What intake answers for one file: every job in it, or what is wrong with it, each
 * problem as `file:line: reason` (or `file: reason` when no line is to blame).
 */
import { basename } from 'node:path'
import type { JobSpec } from '../../shared/jobs'
import { escapeControl } from '../../shared/names'
import { MAX_REPORTED_ERRORS } from './limits'

/**
 * A good file's jobs, each with the line it starts on (`lines[i]`; 0 when the file is one
 * prompt) and the input's own fields as the file wrote them (`inputs[i]`: a CSV row's cells by
 * column, a JSONL line's object; null for a whole-file prompt); `columns` names those fields in
 * the file's order. Kept so a batch's results can be exported beside its inputs.
 */
export type ParsedFile =
  | { ok: true; file: string; jobs: JobSpec[]; lines: number[]; inputs?: JobInput[]; columns?: string[] }
  | { ok: false; file: string; errors: string[]; moreErrors: number }

/** A file refused, with why. */
export type RefusedFile = Extract<ParsedFile, { ok: false }>

/** The input's own fields for one job, or null when the job is a whole file. */
export type JobInput = Record<string, unknown> | null

/**
 * A file as intake names it in every answer and batch name: its name without the folders (the
 * operator knows which folder they dropped), control characters shown as escapes.
 */
export const fileLabel = (path: string): string => escapeControl(basename(path))

/** A file's problems as they are found: the first MAX_REPORTED_ERRORS in words, the rest counted. */
export class FileProblems {
  readonly errors: string[] = []
  more = 0

  constructor(readonly file: string) {}

  add(line: number | null, reason: string): void {
    if (this.errors.length >= MAX_REPORTED_ERRORS) this.more++
    // A reason may quote the file's own text (a key's name, a provider's): escaped, so it cannot forge another line.
    else this.errors.push(line === null || line === 0 ? `${this.file}: ${escapeControl(reason)}` : `${this.file}:${line}: ${escapeControl(reason)}`)
  }

  get any(): boolean {
    return this.errors.length > 0
  }

  result(): RefusedFile {
    return { ok: false, file: this.file, errors: this.errors, moreErrors: this.more }
  }
}

/** A file refused for one reason before it was parsed (unreadable, too large, wrong type). */
export function refused(file: string, reason: string): RefusedFile {
  const problems = new FileProblems(file)
  problems.add(null, reason)
  return problems.result()
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'there is no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
}

/** Why a file could not be read, in words, with the system's code for a search. */
export function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const words = code ? READ_ERRORS[code] : undefined
  return `cannot read the file: ${words ?? (error as Error).message}${code ? ` (${code})` : ''}`
}
