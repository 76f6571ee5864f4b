/**
 * Intake as the CLI, the window's drop handler and the HTTP API call it: files or bytes in,
 * a ParsedFile for each out, without holding up the main thread. Small files are parsed
 * where the call is made (a few milliseconds); from THREAD_THRESHOLD_BYTES up, on the
 * intake thread, whose jobs come back a message at a time.
 */
import { readFile, stat } from 'node:fs/promises'
import type { JobSpec } from '../../shared/jobs'
import type { IntakeThreadData } from './thread-protocol'
import { MAX_UPLOAD_BYTES, THREAD_THRESHOLD_BYTES } from './limits'
import { BatchCheck, checkBatch, type JobCheckContext } from './job-check'
import { extensionProblem, parsePromptFile, sizeProblem } from './parse'
import { fileLabel, readProblem, refused, type JobInput, type ParsedFile, type RefusedFile } from './problems'
import { intakeThreadMessages } from './thread-reader'

/**
 * Reads and checks each file, one after another (two large files at once would only
 * share the same cores), and answers in the order given. Never throws for a bad or
 * unreadable file: that file's answer says what is wrong.
 */
export async function readPromptFiles(paths: readonly string[], options: IntakeOptions = {}): Promise<ParsedFile[]> {
  const parsed: ParsedFile[] = []
  for (const path of paths) parsed.push(await readPromptFile(path, options))
  // Each file's jobs were checked as it was read; their artifact names meet across the batch's files.
  return paths.length > 1 ? await checkBatch(parsed, null) : parsed
}

export interface IntakeOptions {
  /** The intake thread's entry; INTAKE_THREAD_FILE unless a test or the bench says otherwise. */
  threadFile?: string
  /** The profiles and defaults the jobs will run with: each job is checked for what it means as it is read. */
  context?: JobCheckContext | undefined
  /** Told, for a file parsed on the intake thread, the line its parse reached of the file's lines. */
  onProgress?: ((line: number, lines: number) => void) | undefined
}

export async function readPromptFile(path: string, { threadFile, context }: IntakeOptions = {}): Promise<ParsedFile> {
  const size = await promptFileSize(path)
  if (typeof size !== 'number') return size
  if (size >= THREAD_THRESHOLD_BYTES) return parseOnThread({ path, context }, threadFile)
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (error) {
    return refused(fileLabel(path), readProblem(error))
  }
  return parsePromptFile(path, bytes, context && new BatchCheck(context))
}

/** A file's size, or its refusal for what can be told without reading it: a wrong type (dropped by mistake), a folder, no such file, too large. */
export async function promptFileSize(path: string): Promise<number | RefusedFile> {
  const file = fileLabel(path)
  const wrongType = extensionProblem(file)
  if (wrongType) return refused(file, wrongType)
  try {
    const info = await stat(path)
    if (info.isDirectory()) return refused(file, 'it is a folder, not a file')
    const tooLarge = sizeProblem(info.size)
    return tooLarge ? refused(file, tooLarge) : info.size
  } catch (error) {
    return refused(file, readProblem(error))
  }
}

/**
 * Bytes the caller already holds (a body of the API, a file the window read), named by
 * `name`. Large ones are copied to the intake thread: the caller's bytes stay usable.
 */
export async function parsePromptBuffer(name: string, bytes: Uint8Array, { threadFile, context, onProgress }: IntakeOptions = {}): Promise<ParsedFile> {
  const refusal = extensionProblem(name) ?? sizeProblem(bytes.byteLength, MAX_UPLOAD_BYTES)
  if (refusal) return refused(fileLabel(name), refusal)
  if (bytes.byteLength >= THREAD_THRESHOLD_BYTES) return parseOnThread({ name, bytes, context }, threadFile, onProgress)
  return parsePromptFile(name, bytes, context && new BatchCheck(context))
}

/** Parses on a new intake thread, whatever the size. Exported for the tests, which compare it with the in-thread path. */
export async function parseOnThread(data: IntakeThreadData, threadFile?: string, onProgress?: IntakeOptions['onProgress']): Promise<ParsedFile> {
  const file = fileLabel('path' in data ? data.path : data.name)
  const jobs: JobSpec[] = []
  const lines: number[] = []
  const inputs: JobInput[] = []
  let lineCount = 0
  for await (const message of intakeThreadMessages(data, threadFile)) {
    if (message.type === 'refused') {
      // The check is over, refused: its last step is told all the same (whoever listens forgets it then).
      if (lineCount > 0) onProgress?.(lineCount, lineCount)
      return message.result
    }
    if (message.type === 'size') {
      lineCount = message.lines
      continue
    }
    for (const job of JSON.parse(message.json) as JobSpec[]) jobs.push(job)
    for (const line of message.lines) lines.push(line)
    for (const input of message.inputs) inputs.push(input === null ? null : (JSON.parse(input) as JobInput))
    onProgress?.(message.last ? lineCount : Math.min(message.lines.at(-1) ?? 0, lineCount), lineCount)
    if (message.last) return { ok: true, file, jobs, lines, inputs, columns: message.columns }
  }
  throw new Error('the intake thread ended without a last message')
}
