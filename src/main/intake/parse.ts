/**
 * A prompt file into jobs, checked whole before anything from it is enqueued: the answer
 * is every job in it, or the list of what is wrong with it, each as `file:line: reason`.
 * Formats: .txt and .md (the file is one prompt), .jsonl (a job per line), .json (an array
 * of jobs), .csv (a row per job). This runs where it is called; read.ts decides where
 * that is (large files go to the intake thread).
 */
import { extname } from 'node:path'
import { parseCsv } from './csv'
import { decodeText } from './decode'
import { FileJobs, type JobSink } from './file-jobs'
import { toJobSpec } from './job'
import type { BatchCheck } from './job-check'
import { parseJsonArray } from './json'
import { parseJsonLines } from './jsonl'
import { MAX_FILE_BYTES } from './limits'
import { FileProblems, fileLabel, type ParsedFile } from './problems'

export type { ParsedFile } from './problems'

const FORMATS = {
  '.txt': wholeFile,
  '.md': wholeFile,
  '.jsonl': parseJsonLines,
  '.json': parseJsonArray,
  '.csv': parseCsv,
} satisfies Record<string, (text: string, file: FileJobs) => void>

export const SUPPORTED_EXTENSIONS = Object.keys(FORMATS) as (keyof typeof FORMATS)[]

/** Why a file of this name is not taken, or null when its extension is one intake reads. */
export function extensionProblem(path: string): string | null {
  const extension = extname(path).toLowerCase()
  if (extension in FORMATS) return null
  return `unknown file type "${extension || '(none)'}": use ${SUPPORTED_EXTENSIONS.join(', ')}`
}

/** Why a file of this size is not taken: over `limit` (MAX_FILE_BYTES read from disk, MAX_UPLOAD_BYTES sent as bytes). */
export const sizeProblem = (bytes: number, limit = MAX_FILE_BYTES): string | null =>
  bytes > limit ? `the file is ${bytes} bytes, over the limit of ${limit} (${limit / 1024 / 1024} MiB): split it into smaller files` : null

/**
 * Problems are named by the file's name, not its path: the operator knows which folder they
 * dropped. With `check`, each job is also checked for what it means as it is read. With
 * `sink`, jobs are handed to it as they are read, and the answer holds only the last ones.
 */
export function parsePromptFile(path: string, bytes: Uint8Array, check?: BatchCheck, sink?: JobSink): ParsedFile {
  const file = fileLabel(path)
  const problems = new FileProblems(file)
  const refusal = extensionProblem(file) ?? sizeProblem(bytes.byteLength)
  if (refusal) {
    problems.add(null, refusal)
    return problems.result()
  }
  const text = decodeText(bytes, problems)
  if (text === null) return problems.result()
  if (text.trim() === '') {
    problems.add(null, text === '' ? 'the file is empty' : 'the file is empty (it holds only blank lines and spaces)')
    return problems.result()
  }
  const read = new FileJobs(problems, check, sink)
  FORMATS[extname(file).toLowerCase() as keyof typeof FORMATS](text, read)
  return problems.any ? problems.result() : { ok: true, file, jobs: read.jobs, lines: read.lines, inputs: read.inputs, columns: read.columns }
}

function wholeFile(text: string, file: FileJobs): void {
  file.take(toJobSpec({ prompt: text }), 0)
}
