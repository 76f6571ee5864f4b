/**
 * Prompt files into job specs. A file is checked whole before anything from it is
 * enqueued: the answer is either every job in it or the list of what is wrong, each as
 * `file:line: reason`. Formats: .txt and .md (the file is one prompt), .jsonl (a job per
 * line), .json (an array of jobs). CSV comes with the intake issue.
 */
import { basename, extname } from 'node:path'
import { z } from 'zod'
import { describeZodError } from '../../shared/contract'
import { JobSpec } from '../../shared/jobs'

/** Files larger than this are refused before they are read into memory twice. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024
/** A single line (a .jsonl job) longer than this is refused. */
export const MAX_LINE_CHARS = 1024 * 1024
/** How many problems a report lists before it only counts the rest. */
export const MAX_REPORTED_ERRORS = 100

export const SUPPORTED_EXTENSIONS = ['.txt', '.md', '.jsonl', '.json'] as const

export type ParsedFile = { ok: true; file: string; jobs: JobSpec[] } | { ok: false; file: string; errors: string[]; moreErrors: number }

class FileProblems {
  readonly errors: string[] = []
  more = 0
  constructor(readonly file: string) {}
  add(line: number | null, reason: string): void {
    if (this.errors.length >= MAX_REPORTED_ERRORS) this.more++
    else this.errors.push(line === null ? `${this.file}: ${reason}` : `${this.file}:${line}: ${reason}`)
  }
  get any(): boolean {
    return this.errors.length > 0
  }
  result(): ParsedFile {
    return { ok: false, file: this.file, errors: this.errors, moreErrors: this.more }
  }
}

/** Decodes UTF-8 (with or without BOM); UTF-16 and binary content are named as such. */
function decode(bytes: Uint8Array, problems: FileProblems): string | null {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    problems.add(null, 'the file is UTF-16; save it as UTF-8')
    return null
  }
  if (bytes.subarray(0, 8192).includes(0)) {
    problems.add(null, 'the file looks binary (it contains NUL bytes), not text')
    return null
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    problems.add(null, 'the file is not valid UTF-8 text')
    return null
  }
}

export function parsePromptFile(path: string, bytes: Uint8Array): ParsedFile {
  const file = basename(path)
  const problems = new FileProblems(file)
  const extension = extname(file).toLowerCase()
  if (!(SUPPORTED_EXTENSIONS as readonly string[]).includes(extension)) {
    problems.add(null, `unknown file type "${extension || '(none)'}": use ${SUPPORTED_EXTENSIONS.join(', ')}`)
    return problems.result()
  }
  if (bytes.byteLength > MAX_FILE_BYTES) {
    problems.add(null, `the file is ${bytes.byteLength} bytes, over the limit of ${MAX_FILE_BYTES}`)
    return problems.result()
  }
  const text = decode(bytes, problems)
  if (text === null) return problems.result()
  if (text.trim() === '') {
    problems.add(null, 'the file is empty')
    return problems.result()
  }
  const jobs = extension === '.jsonl' ? parseJsonLines(text, problems) : extension === '.json' ? parseJsonArray(text, problems) : [wholeFile(text, problems)]
  return problems.any ? problems.result() : { ok: true, file, jobs: jobs.filter((job): job is JobSpec => job !== null) }
}

function wholeFile(text: string, problems: FileProblems): JobSpec | null {
  const result = JobSpec.safeParse({ prompt: text.replace(/\r\n/g, '\n') })
  if (!result.success) problems.add(null, describeZodError(result.error))
  return result.success ? result.data : null
}

function parseJsonLines(text: string, problems: FileProblems): (JobSpec | null)[] {
  const jobs: (JobSpec | null)[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === '') continue
    jobs.push(parseJob(line, i + 1, problems))
  }
  if (jobs.length === 0) problems.add(null, 'the file has no jobs')
  return jobs
}

function parseJob(line: string, lineNumber: number, problems: FileProblems): JobSpec | null {
  if (line.length > MAX_LINE_CHARS) {
    problems.add(lineNumber, `the line is ${line.length} characters, over the limit of ${MAX_LINE_CHARS}`)
    return null
  }
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error) {
    problems.add(lineNumber, `not valid JSON (${(error as Error).message})`)
    return null
  }
  return checkJob(value, lineNumber, problems)
}

function checkJob(value: unknown, lineNumber: number | null, problems: FileProblems, where = ''): JobSpec | null {
  const result = JobSpec.safeParse(value)
  if (!result.success) problems.add(lineNumber, where + describeZodError(result.error))
  return result.success ? result.data : null
}

function parseJsonArray(text: string, problems: FileProblems): (JobSpec | null)[] {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    problems.add(null, `not valid JSON (${(error as Error).message})`)
    return []
  }
  const array = z.array(z.unknown()).min(1).safeParse(value)
  if (!array.success) {
    problems.add(null, 'a .json file holds an array of jobs, like [{"prompt": "..."}]')
    return []
  }
  const starts = elementLines(text)
  return array.data.map((item, index) => checkJob(item, starts[index] ?? null, problems, `job ${index + 1}: `))
}

/** Line numbers where each top-level array element starts, so a .json error names its line. */
function elementLines(text: string): number[] {
  const lines: number[] = []
  let depth = 0
  let line = 1
  let inString = false
  let expectElement = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\n') line++
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
      continue
    }
    if (expectElement && !/\s/.test(c) && c !== ']') {
      lines.push(line)
      expectElement = false
    }
    if (c === '"') inString = true
    else if (c === '[' || c === '{') {
      depth++
      if (depth === 1 && c === '[') expectElement = true
    } else if (c === ']' || c === '}') depth--
    else if (c === ',' && depth === 1) expectElement = true
  }
  return lines
}
